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

    /// Writers alternate between two addresses that differ in both halves while readers load:
    /// every consistent read is one of the two (a torn read would mix their halves).
    @Test func readersNeverSeeATornAddress() async {
        let last = LastSource()
        let a = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0001, low: 0x1111_1111_1111_1111))
        let b = IPAddress.v6(IPv6Address(high: 0x2001_0db8_0000_0002, low: 0x2222_2222_2222_2222))
        last.store(a)
        let results = await withTaskGroup(of: (good: Int, bad: Int).self) { group in
            for writer in 0..<2 {
                group.addTask {
                    for i in 0..<200_000 { last.store((i + writer) % 2 == 0 ? a : b) }
                    return (0, 0)
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    var good = 0, bad = 0
                    for _ in 0..<200_000 {
                        switch last.load(attempts: 1_000) {
                        case a, b: good += 1
                        case nil: break  // writers kept it busy: no value, never a wrong one
                        default: bad += 1
                        }
                    }
                    return (good, bad)
                }
            }
            var total = (good: 0, bad: 0)
            for await result in group { total.good += result.good; total.bad += result.bad }
            return total
        }
        #expect(results.bad == 0)
        #expect(results.good > 0)
        #expect(last.load() == a || last.load() == b)
    }
}
