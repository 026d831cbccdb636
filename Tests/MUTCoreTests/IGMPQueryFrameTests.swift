import Testing
@testable import MUTCore

@Suite struct IGMPQueryFrameTests {
    let mac = MACAddress("02:aa:00:00:00:01")!
    let ip = IPv4Address(10, 10, 2, 1)

    @Test func floatingCodeRoundTrips() {
        for value in [0, 1, 100, 127, 128, 136, 1000, 1250, 31744] {
            let decoded = IGMPQuery.decodeFloatingCode(IGMPQueryFrame.encodeFloatingCode(value))
            #expect(decoded <= value)
            #expect(decoded > value - value / 16 - 1)
        }
        #expect(IGMPQueryFrame.encodeFloatingCode(125) == 125)
    }

    @Test func v3GeneralQueryParsesBackWithItsTimers() throws {
        let timers = IGMPTimerValues(robustness: 3, queryInterval: 20, queryResponseInterval: 2)
        let frame = IGMPQueryFrame.build(version: 3, sourceMAC: mac, sourceIP: ip, timers: timers)
        let packet = try frame.withUnsafeBytes { try IGMPPacket.parse(frame: $0) }
        #expect(packet.senderMAC == mac)
        #expect(packet.senderIP == ip)
        #expect(packet.destinationIP == IPv4Address(224, 0, 0, 1))
        guard case .query(let query) = packet.message else { Issue.record("not a query"); return }
        #expect(query.version == 3)
        #expect(query.isGeneral)
        #expect(query.robustness == 3)
        #expect(query.queryInterval == 20)
        #expect(query.maxResponseTime == 2)
        #expect(Array(frame[0..<6]) == [0x01, 0x00, 0x5e, 0, 0, 1])
    }

    @Test func v2GroupQueryToOneHostsMAC() throws {
        let host = MACAddress("02:00:00:00:02:11")!
        let frame = IGMPQueryFrame.build(version: 2, group: IPv4Address(239, 1, 1, 1), sourceMAC: mac, sourceIP: ip,
                                         destinationMAC: host, timers: IGMPTimerValues(), maxResponseTime: 1)
        let packet = try frame.withUnsafeBytes { try IGMPPacket.parse(frame: $0) }
        guard case .query(let query) = packet.message else { Issue.record("not a query"); return }
        #expect(query.version == 2)
        #expect(query.group == IPv4Address(239, 1, 1, 1))
        #expect(query.maxResponseTime == 1)
        #expect(packet.destinationIP == IPv4Address(239, 1, 1, 1))
        #expect(MACAddress(bytes: (frame[0], frame[1], frame[2], frame[3], frame[4], frame[5])) == host)
    }
}
