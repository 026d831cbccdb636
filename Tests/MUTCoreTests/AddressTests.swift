import Testing
@testable import MUTCore

@Suite struct AddressTests {
    @Test func parsesDottedQuad() {
        #expect(IPv4Address("239.1.2.3") == IPv4Address(239, 1, 2, 3))
        #expect(IPv4Address("239.1.2.3")?.isMulticast == true)
        #expect(IPv4Address("10.0.0.1")?.isMulticast == false)
        #expect(IPv4Address("224.0.0.22")?.isLinkLocalMulticast == true)
        #expect(IPv4Address("232.1.1.1")?.isSourceSpecific == true)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "0001.2.3.4"])
    func rejectsBadIPv4(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func macRoundTrip() {
        let mac = MACAddress("02:AB:cd:00:01:ff")
        #expect(mac?.description == "02:ab:cd:00:01:ff")
        #expect(mac?.isUnicast == true)
        #expect(MACAddress("01:00:5e:01:02:03")?.isGroup == true)
        #expect(MACAddress(multicastGroup: IPv4Address(239, 129, 2, 3)) == MACAddress("01:00:5e:01:02:03"))
        #expect(MACAddress("02:ab:cd:00:01") == nil)
        #expect(MACAddress("02:ab:cd:00:01:zz") == nil)
        #expect(MACAddress.zero.isUnicast == false)
    }
}
