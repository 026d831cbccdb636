import Foundation
import Synchronization
import Testing
@testable import MUTCore

@Suite struct LastSourceTests {
    private let v4 = IPAddress.v4(IPv4Address(10, 0, 0, 5))
    private let v6 = IPAddress.v6(IPv6Address("2001:db8:1::2")!)

    @Test func emptyUntilStoredThenEitherFamily() {
        let last = LastSource()
        #expect(last.load() == nil)
        last.store(v4)
        #expect(last.load() == v4)
        last.store(v6)
        #expect(last.load() == v6)
        last.store(v4)
        #expect(last.load() == v4)
        #expect(last.changes == 3)
    }

    @Test func aRepeatedSourceIsNotWrittenAgain() {
        let last = LastSource()
        for _ in 0..<100 { last.store(v6) }
        #expect(last.load() == v6 && last.changes == 1)
    }

    /// An IPv6 address with the IPv4-mapped prefix's shape in its high half is not taken for IPv4.
    @Test func ipv6WithZeroHighHalfStaysIPv6() {
        let last = LastSource()
        let odd = IPAddress.v6(IPv6Address(high: 0, low: 0xFFFE_0A00_0005))
        last.store(odd)
        #expect(last.load() == odd)
    }

    /// A reader that meets a write half done gets no address (never b's high half with a's
    /// low), a second writer skips rather than waits, and the write then shows whole.
    @Test func aWriteUnderWayIsNeverReadHalfDone() throws {
        let last = LastSource()
        let a = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x1111))
        let b = IPv6Address(high: 0x2001_0db8_0000_0002, low: 0x2222)
        last.store(a)
        let started = try #require(last.beginWrite())
        last.writeHalves(high: b.high, low: 0x1111)  // the high half written, the low not yet
        #expect(last.load(attempts: 3) == nil)
        #expect(last.beginWrite() == nil)
        last.store(v4)  // skipped: the write under way is not waited for
        last.writeHalves(high: b.high, low: b.low)
        last.endWrite(started)
        #expect(last.load() == .v6(b))
        #expect(last.changes == 2)
    }

    /// A reader's snapshot taken before a write is not valid after it (the reader retries).
    @Test func aSnapshotOverlappingAWriteIsRejected() throws {
        let last = LastSource()
        last.store(v4)
        let snapshot = try #require(last.beginRead())
        #expect(last.isUnchanged(since: snapshot))
        last.store(v6)
        #expect(!last.isUnchanged(since: snapshot))
        #expect(last.load() == v6)
    }

    /// Two writer threads alternate between two addresses that differ in both halves while two
    /// reader threads load: every read is one of the two or nil (a torn read would mix their
    /// halves). Real threads, so that readers and writers overlap on every core.
    @Test func readersNeverSeeATornAddress() {
        let last = LastSource()
        let a = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x1111_1111_1111_1111))
        let b = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0002, low: 0x2222_2222_2222_2222))
        last.store(a)
        let stop = Atomic<Bool>(false)
        let good = Atomic<Int>(0), torn = Atomic<Int>(0), readersDone = Atomic<Int>(0)
        var threads: [Thread] = []
        for writer in 0..<2 {
            threads.append(Thread {
                var i = writer
                // Bounded: stops when the readers are done, or after 50 million stores.
                while !stop.load(ordering: .relaxed) && i < 50_000_000 {
                    last.store(i % 2 == 0 ? a : b)
                    i += 1
                }
            })
        }
        for _ in 0..<2 {
            threads.append(Thread {
                for _ in 0..<300_000 {
                    switch last.load(attempts: 1_000) {
                    case a, b: good.wrappingAdd(1, ordering: .relaxed)
                    case nil: break  // writers kept it busy: no value, never a wrong one
                    default: torn.wrappingAdd(1, ordering: .relaxed)
                    }
                }
                if readersDone.wrappingAdd(1, ordering: .relaxed).newValue == 2 { stop.store(true, ordering: .relaxed) }
            })
        }
        for thread in threads { thread.start() }
        let deadline = Date().addingTimeInterval(60)
        while readersDone.load(ordering: .relaxed) < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.05)  // the writers see the flag and end
        #expect(readersDone.load(ordering: .relaxed) == 2)
        #expect(torn.load(ordering: .relaxed) == 0)
        #expect(good.load(ordering: .relaxed) > 0)
        #expect(last.load() == a || last.load() == b)
    }
}
