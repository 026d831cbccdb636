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
        if let snapshot = beginRead(), snapshot.high == newHigh, snapshot.low == newLow, isUnchanged(since: snapshot) {
            return
        }
        guard let started = beginWrite() else { return }  // another writer is storing: skip, never wait
        writeHalves(high: newHigh, low: newLow)
        endWrite(started)
    }

    /// The stored address; nil when none was stored yet, or when writers kept changing it
    /// through `attempts` consistent-read tries.
    public func load(attempts: Int = 64) -> IPAddress? {
        for _ in 0..<max(1, attempts) {
            guard let snapshot = beginRead(), isUnchanged(since: snapshot) else { continue }
            return Self.address(high: snapshot.high, low: snapshot.low)
        }
        return nil
    }

    // The protocol's steps, apart so that the tests can interleave them.

    /// Reads both halves; nil while a write is under way. Valid only if `isUnchanged` after.
    @inline(__always)
    func beginRead() -> (generation: UInt64, high: UInt64, low: UInt64)? {
        let generation = generation.load(ordering: .acquiring)
        guard generation & 1 == 0 else { return nil }
        return (generation, high.load(ordering: .relaxed), low.load(ordering: .relaxed))
    }

    /// No write started since the snapshot: its halves belong together.
    @inline(__always)
    func isUnchanged(since snapshot: (generation: UInt64, high: UInt64, low: UInt64)) -> Bool {
        atomicMemoryFence(ordering: .acquiring)
        return generation.load(ordering: .relaxed) == snapshot.generation
    }

    /// Makes the generation odd; nil when another writer holds it.
    @inline(__always)
    func beginWrite() -> UInt64? {
        let current = generation.load(ordering: .relaxed)
        guard current & 1 == 0,
              generation.compareExchange(expected: current, desired: current &+ 1, ordering: .acquiringAndReleasing).exchanged
        else { return nil }
        return current
    }

    @inline(__always)
    func writeHalves(high newHigh: UInt64, low newLow: UInt64) {
        high.store(newHigh, ordering: .relaxed)
        low.store(newLow, ordering: .relaxed)
    }

    @inline(__always)
    func endWrite(_ started: UInt64) { generation.store(started &+ 2, ordering: .releasing) }

    /// How many stores changed the value (a store of the value already there is not counted).
    public var changes: UInt64 { generation.load(ordering: .relaxed) / 2 }

    private static func address(high: UInt64, low: UInt64) -> IPAddress? {
        if high == 0 && low == 0 { return nil }
        if high == 0 && low >> 32 == 0xFFFF { return .v4(IPv4Address(UInt32(truncatingIfNeeded: low))) }
        return .v6(IPv6Address(high: high, low: low))
    }
}
