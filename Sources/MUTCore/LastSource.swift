import Synchronization

/// The last source address seen sending to a route, IPv4 or IPv6, written by the data-plane
/// threads and read by the control plane, without locks.
///
/// 128 bits do not fit one atomic, so this is a sequence lock: the generation is odd while a
/// writer changes the two halves, and a reader retries when it changed under it. Writers never
/// wait: one that finds another mid-write (or the value already there) skips its store; the
/// stream's next packet stores again, and a last source is a display value.
/// Encoding: IPv4 as the IPv4-mapped address ::ffff:a.b.c.d (never the source of a routed IPv6
/// packet), nothing as :: (the unspecified address, never a source either).
public final class LastSource: Sendable {
    private let generation = Atomic<UInt64>(0)
    private let high = Atomic<UInt64>(0)
    private let low = Atomic<UInt64>(0)

    public init() {}

    @inline(__always)
    private static func halves(_ address: IPAddress) -> (high: UInt64, low: UInt64) {
        switch address {
        case .v4(let v4): return (0, 0xFFFF_0000_0000 | UInt64(v4.value))
        case .v6(let v6): return (v6.high, v6.low)
        }
    }

    /// Called for every packet: after the first, only loads while the source stays the same.
    @inline(__always)
    public func store(_ address: IPAddress) {
        let (newHigh, newLow) = Self.halves(address)
        let current = generation.load(ordering: .acquiring)
        if current & 1 == 0, high.load(ordering: .relaxed) == newHigh, low.load(ordering: .relaxed) == newLow {
            return
        }
        guard current & 1 == 0,
              generation.compareExchange(expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing).exchanged
        else { return }  // another writer is storing: skip, never wait
        high.store(newHigh, ordering: .relaxed)
        low.store(newLow, ordering: .relaxed)
        generation.store(current &+ 2, ordering: .releasing)
    }

    /// The stored address; nil when none was stored yet, or when writers kept changing it
    /// through `attempts` consistent-read tries.
    public func load(attempts: Int = 64) -> IPAddress? {
        for _ in 0..<max(1, attempts) {
            let before = generation.load(ordering: .acquiring)
            guard before & 1 == 0 else { continue }
            let readHigh = high.load(ordering: .relaxed)
            let readLow = low.load(ordering: .relaxed)
            atomicMemoryFence(ordering: .acquiring)
            guard generation.load(ordering: .relaxed) == before else { continue }
            return Self.address(high: readHigh, low: readLow)
        }
        return nil
    }

    /// How many stores changed the value (a store of the value already there is not counted).
    public var changes: UInt64 { generation.load(ordering: .relaxed) / 2 }

    private static func address(high: UInt64, low: UInt64) -> IPAddress? {
        if high == 0 && low == 0 { return nil }
        if high == 0 && low >> 32 == 0xFFFF { return .v4(IPv4Address(UInt32(truncatingIfNeeded: low))) }
        return .v6(IPv6Address(high: high, low: low))
    }
}
