import Testing
@testable import MUTCore

private typealias Build = IGMPFrameBuilder

private func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

private func parse(_ frame: [UInt8]) throws(ParseError) -> IGMPPacket {
    try IGMPPacket.parse(frame: frame)
}

private func fixture(_ hex: String) -> [UInt8] { Build.bytes(hex: hex) }

@Suite struct IGMPParserFixtureTests {
    @Test func v1Report() throws {
        let packet = try parse(fixture(IGMPFixtures.v1Report))
        #expect(packet.message == .v1Report(group: ip("239.3.3.3")))
        #expect(packet.senderMAC == MACAddress("02:00:00:00:00:02"))
        #expect(packet.senderIP == ip("10.99.0.2"))
        #expect(packet.destinationIP == ip("239.3.3.3"))
        #expect(packet.ip.routerAlert)
        #expect(packet.ip.timeToLive == 1)
        #expect(packet.ip.headerLength == 24)
        #expect(packet.ethernet.destination == MACAddress("01:00:5e:03:03:03"))
        #expect(packet.ethernet.vlanID == nil)
    }

    @Test func v2ReportAndLeave() throws {
        #expect(try parse(fixture(IGMPFixtures.v2Report)).message == .v2Report(group: ip("239.2.2.2")))
        let leave = try parse(fixture(IGMPFixtures.v2Leave))
        #expect(leave.message == .v2Leave(group: ip("239.2.2.2")))
        #expect(leave.destinationIP == ip("224.0.0.2"))
    }

    @Test func queriesOfEachVersion() throws {
        let v1 = try parse(fixture(IGMPFixtures.v1Query))
        #expect(v1.message == .query(IGMPQuery(version: 1, group: IPv4Address(0), maxResponseCode: 0)))
        guard case .query(let q1) = v1.message else { return }
        #expect(q1.maxResponseTime == 10)
        #expect(q1.queryInterval == nil)

        let v2 = try parse(fixture(IGMPFixtures.v2Query))
        #expect(v2.senderIP == ip("10.99.0.1"))
        #expect(v2.senderMAC == MACAddress("02:00:00:00:00:b0"))
        guard case .query(let q2) = v2.message else { Issue.record("not a query"); return }
        #expect(q2.version == 2)
        #expect(q2.isGeneral)
        #expect(q2.maxResponseCode == 10)
        #expect(q2.maxResponseTime == 1)

        let v3 = try parse(fixture(IGMPFixtures.v3Query))
        #expect(v3.message == .query(IGMPQuery(
            version: 3, group: IPv4Address(0), maxResponseCode: 10, suppressRouterProcessing: false,
            robustness: 2, queryIntervalCode: 30, sources: [])))
        guard case .query(let q3) = v3.message else { return }
        #expect(q3.maxResponseTime == 1)
        #expect(q3.queryInterval == 30)
    }

    @Test func v3StateChangeRecords() throws {
        func report(_ hex: String) throws -> IGMPv3Report? {
            guard case .v3Report(let report) = try parse(fixture(hex)).message else { return nil }
            return report
        }
        #expect(try report(IGMPFixtures.v3ToExclude)?.records == [
            IGMPGroupRecord(type: .changeToExclude, group: ip("239.1.1.1")),
        ])
        #expect(try report(IGMPFixtures.v3AllowNew)?.records == [
            IGMPGroupRecord(type: .allowNewSources, group: ip("232.1.1.1"), sources: [ip("10.0.0.11")]),
        ])
        #expect(try report(IGMPFixtures.v3BlockOldInclude)?.records == [
            IGMPGroupRecord(type: .blockOldSources, group: ip("232.1.1.1"), sources: [ip("10.0.0.11")]),
        ])
        #expect(try report(IGMPFixtures.v3BlockOldExclude)?.records == [
            IGMPGroupRecord(type: .blockOldSources, group: ip("239.1.1.1"), sources: [ip("10.0.0.21")]),
        ])
        #expect(try report(IGMPFixtures.v3ToIncludeEmpty)?.records == [
            IGMPGroupRecord(type: .changeToInclude, group: ip("239.1.1.2")),
        ])
        #expect(try report(IGMPFixtures.v3SocketClosed)?.records == [
            IGMPGroupRecord(type: .changeToInclude, group: ip("239.1.1.1")),
            IGMPGroupRecord(type: .blockOldSources, group: ip("232.1.1.1"), sources: [ip("10.0.0.13"), ip("10.0.0.12")]),
        ])
        #expect(try report(IGMPFixtures.v3AllowAndToExclude)?.records == [
            IGMPGroupRecord(type: .allowNewSources, group: ip("232.1.1.1"), sources: [ip("10.0.0.12"), ip("10.0.0.13")]),
            IGMPGroupRecord(type: .changeToExclude, group: ip("239.1.1.1"), sources: [ip("10.0.0.21")]),
        ])
        #expect(try report(IGMPFixtures.v3CurrentState)?.records == [
            IGMPGroupRecord(type: .modeIsInclude, group: ip("232.1.1.1"), sources: [ip("10.0.0.12"), ip("10.0.0.13")]),
            IGMPGroupRecord(type: .modeIsExclude, group: ip("239.1.1.1"), sources: [ip("10.0.0.21")]),
        ])
    }

    /// The fixtures run to the IP total length exactly, so every proper prefix lies about its length.
    @Test(arguments: IGMPFixtures.all.map(\.name))
    func everyTruncationIsRejected(_ name: String) {
        let frame = fixture(IGMPFixtures.all.first { $0.name == name }!.hex)
        for length in 0..<frame.count {
            #expect(throws: ParseError.self, "\(name) cut at \(length)") { try parse(Array(frame[..<length])) }
        }
        #expect(throws: Never.self) { try parse(frame) }
    }

    @Test(arguments: IGMPFixtures.all.map(\.name))
    func ethernetPaddingIsIgnored(_ name: String) throws {
        let frame = fixture(IGMPFixtures.all.first { $0.name == name }!.hex)
        #expect(try parse(frame + Array(repeating: 0, count: 18)) == parse(frame))
    }
}

@Suite struct IGMPParserRejectionTests {
    @Test func badIPChecksum() {
        var frame = fixture(IGMPFixtures.v2Report)
        frame[Build.ipOffset + 8] = 2  // TTL 1 → 2, checksum left stale
        #expect(throws: ParseError.badChecksum) { try parse(frame) }
        Build.fixIPChecksum(&frame)
        #expect(throws: Never.self) { try parse(frame) }
    }

    @Test(arguments: IGMPFixtures.all.map(\.name))
    func badIGMPChecksum(_ name: String) {
        var frame = fixture(IGMPFixtures.all.first { $0.name == name }!.hex)
        frame[frame.count - 1] ^= 0x01
        #expect(throws: ParseError.badChecksum) { try parse(frame) }
    }

    @Test func unknownIGMPType() {
        var frame = fixture(IGMPFixtures.v2Report)
        frame[Build.igmpOffset(frame)] = 0x13  // DVMRP
        Build.fixIGMPChecksum(&frame)
        #expect(throws: ParseError.unknownType(0x13)) { try parse(frame) }
    }

    @Test func lyingRecordCount() {
        var frame = fixture(IGMPFixtures.v3AllowAndToExclude)
        frame[Build.igmpOffset(frame) + 7] = 3  // says 3 records, holds 2
        Build.fixIGMPChecksum(&frame)
        #expect(throws: ParseError.badRecordCount) { try parse(frame) }
        frame[Build.igmpOffset(frame) + 6] = 0xFF  // 65283 records: refused before any allocation
        Build.fixIGMPChecksum(&frame)
        #expect(throws: ParseError.badRecordCount) { try parse(frame) }
    }

    @Test func lyingSourceCount() {
        var frame = fixture(IGMPFixtures.v3AllowNew)
        frame[Build.igmpOffset(frame) + 8 + 3] = 2  // record says 2 sources, holds 1
        Build.fixIGMPChecksum(&frame)
        #expect(throws: ParseError.badRecordCount) { try parse(frame) }

        let query = Build.v3Query(maxResponseCode: 100, flags: 2, qqic: 125, sources: [ip("10.0.0.1")])
        var lying = query
        lying[11] = 5  // 5 sources, 1 present
        let fixed = Build.message(type: lying[0], code: lying[1], body: Array(lying[4...]))
        #expect(throws: ParseError.badRecordCount) { try parse(Build.frame(fixed, destination: ip("224.0.0.1"))) }
    }

    @Test func auxDataOverflow() {
        let group = ip("239.1.1.1")
        var frame = Build.frame(Build.v3Report([(type: 4, group: group, sources: [])], auxWords: 1))
        // One aux word present: fine, and skipped.
        guard case .v3Report(let report)? = try? parse(frame).message else { Issue.record("no report"); return }
        #expect(report.records == [IGMPGroupRecord(type: .changeToExclude, group: group, auxDataLength: 4)])
        frame[Build.igmpOffset(frame) + 8 + 1] = 2  // claims 2 aux words
        Build.fixIGMPChecksum(&frame)
        #expect(throws: ParseError.malformed("IGMPv3 group record auxiliary data overruns the message")) { try parse(frame) }
    }

    @Test func unknownRecordTypeIsSkipped() throws {
        let frame = Build.frame(Build.v3Report([
            (type: 7, group: ip("239.1.1.1"), sources: [ip("10.0.0.1")]),
            (type: 5, group: ip("239.1.1.2"), sources: [ip("10.0.0.2")]),
        ]))
        #expect(try parse(frame).message == .v3Report(IGMPv3Report(
            records: [IGMPGroupRecord(type: .allowNewSources, group: ip("239.1.1.2"), sources: [ip("10.0.0.2")])],
            unknownRecords: 1)))
    }

    @Test(arguments: [9, 10, 11])
    func queryOfInvalidLength(_ length: Int) {
        let body = Build.address(IPv4Address(0)) + Array(repeating: 0, count: length - 8)
        let frame = Build.frame(Build.message(type: 0x11, code: 100, body: body), destination: ip("224.0.0.1"))
        #expect(throws: ParseError.malformed("IGMP query of \(length) bytes (neither 8 nor at least 12)")) { try parse(frame) }
    }

    @Test func shortIGMPMessage() {
        let frame = Build.frame([0x16, 0, 0xE9, 0xFF])  // 4 bytes, valid checksum
        #expect(throws: ParseError.truncated) { try parse(frame) }
    }

    @Test func fragmentsAreRefused() {
        for flags: (UInt8, UInt8) in [(0x20, 0x00), (0x00, 0x01), (0x40, 0x08)] {
            var frame = fixture(IGMPFixtures.v2Report)
            frame[Build.ipOffset + 6] = flags.0
            frame[Build.ipOffset + 7] = flags.1
            Build.fixIPChecksum(&frame)
            #expect(throws: ParseError.fragment) { try parse(frame) }
        }
    }

    @Test func badVersionHeaderAndTotalLength() {
        var frame = fixture(IGMPFixtures.v2Report)
        frame[Build.ipOffset] = 0x66
        #expect(throws: ParseError.badVersion(6)) { try parse(frame) }

        frame = fixture(IGMPFixtures.v2Report)
        frame[Build.ipOffset] = 0x44
        #expect(throws: ParseError.badHeaderLength(16)) { try parse(frame) }

        frame = fixture(IGMPFixtures.v2Report)
        frame[Build.ipOffset + 3] = 20  // total length shorter than the 24-byte header
        Build.fixIPChecksum(&frame)
        #expect(throws: ParseError.badTotalLength(20)) { try parse(frame) }

        frame = fixture(IGMPFixtures.v2Report)
        frame[Build.ipOffset + 3] += 1  // one byte more than the frame holds
        Build.fixIPChecksum(&frame)
        #expect(throws: ParseError.badTotalLength(33)) { try parse(frame) }
    }

    @Test func notIPv4NotIGMP() {
        var frame = fixture(IGMPFixtures.v2Report)
        frame[12] = 0x08
        frame[13] = 0x06
        #expect(throws: ParseError.notIPv4(etherType: 0x0806)) { try parse(frame) }

        frame = fixture(IGMPFixtures.v2Report)
        frame[Build.ipOffset + 9] = 17
        Build.fixIPChecksum(&frame)
        #expect(throws: ParseError.notIGMP(protocol: 17)) { try parse(frame) }
    }

    @Test func vlanTagIsSkippedStackedTagIsRefused() throws {
        let igmp = Build.message(type: 0x16, body: Build.address(ip("239.5.5.5")))
        let tagged = try parse(Build.frame(igmp, destination: ip("239.5.5.5"), vlan: 0x2064))
        #expect(tagged.ethernet.vlanID == 0x064)
        #expect(tagged.message == .v2Report(group: ip("239.5.5.5")))

        var stacked = Build.frame(igmp, destination: ip("239.5.5.5"))
        stacked[12] = 0x88
        stacked[13] = 0xA8
        #expect(throws: ParseError.notIPv4(etherType: 0x88A8)) { try parse(stacked) }
        var doubleTagged = Build.frame(igmp, destination: ip("239.5.5.5"), vlan: 5)
        doubleTagged.insert(contentsOf: [0x81, 0x00, 0x00, 0x07], at: 16)
        #expect(throws: ParseError.notIPv4(etherType: 0x8100)) { try parse(doubleTagged) }
    }

    /// Tagged frames cut short anywhere in or just after the tag, or with a tag in front of
    /// something other than IPv4, are refused without reading past the buffer.
    @Test func malformedTaggedFramesAreRefused() throws {
        let igmp = Build.message(type: 0x16, body: Build.address(ip("239.5.5.5")))
        let tagged = Build.frame(igmp, destination: ip("239.5.5.5"), vlan: 10)
        for length in 12..<38 {
            #expect(throws: ParseError.self) { try parse(Array(tagged[0..<length])) }
        }
        var arp = tagged
        arp[16] = 0x08
        arp[17] = 0x06
        #expect(throws: ParseError.notIPv4(etherType: 0x0806)) { try parse(arp) }
        // The tag's VLAN ID is its low 12 bits: priority and DEI bits never leak into it.
        #expect(try parse(Build.frame(igmp, destination: ip("239.5.5.5"), vlan: 0xF00A)).ethernet.vlanID == 10)
    }

    @Test func ipOptions() throws {
        let igmp = Build.message(type: 0x16, body: Build.address(ip("239.5.5.5")))
        #expect(try parse(Build.frame(igmp, routerAlert: false)).ip.routerAlert == false)

        // NOP, NOP, then Router Alert, in an 8-byte option area.
        var frame = Build.frame(igmp)
        frame.insert(contentsOf: [1, 1, 1, 1], at: Build.ipOffset + 20)
        frame[Build.ipOffset] = 0x47
        frame[Build.ipOffset + 3] += 4
        Build.fixIPChecksum(&frame)
        #expect(try parse(frame).ip.routerAlert)

        // An option whose length runs past the header.
        frame = Build.frame(igmp)
        frame[Build.ipOffset + 21] = 8
        Build.fixIPChecksum(&frame)
        #expect(throws: ParseError.malformed("IPv4 option 148 of length 8 overruns the header")) { try parse(frame) }

        // An option kind as the last byte, without room for its length.
        frame = Build.frame(igmp)
        frame.replaceSubrange(Build.ipOffset + 20..<Build.ipOffset + 24, with: [1, 1, 1, 7])
        Build.fixIPChecksum(&frame)
        #expect(throws: ParseError.malformed("IPv4 option 7 without a length")) { try parse(frame) }
    }

    @Test func v3QueryWithSourcesAndFloatingCodes() throws {
        let frame = Build.frame(
            Build.v3Query(group: ip("232.1.1.1"), maxResponseCode: 0x8C, flags: 0x0F, qqic: 0x9A,
                          sources: [ip("10.0.0.1"), ip("10.0.0.2")]),
            source: ip("10.99.0.1"), destination: ip("232.1.1.1"))
        guard case .query(let query) = try parse(frame).message else { Issue.record("not a query"); return }
        #expect(query.version == 3)
        #expect(!query.isGeneral)
        #expect(query.suppressRouterProcessing)
        #expect(query.robustness == 7)
        #expect(query.sources == [ip("10.0.0.1"), ip("10.0.0.2")])
        // 0x8C: exp 0, mant 12 → 28 << 3 = 224 tenths; 0x9A: exp 1, mant 10 → 26 << 4 = 416 s.
        #expect(query.maxResponseTime == 22.4)
        #expect(query.queryInterval == 416)
    }

    @Test func floatingPointCodes() {
        #expect(IGMPQuery.decodeFloatingCode(0) == 0)
        #expect(IGMPQuery.decodeFloatingCode(125) == 125)
        #expect(IGMPQuery.decodeFloatingCode(127) == 127)
        #expect(IGMPQuery.decodeFloatingCode(0x80) == 128)
        #expect(IGMPQuery.decodeFloatingCode(0x8F) == 248)
        #expect(IGMPQuery.decodeFloatingCode(0x90) == 256)
        #expect(IGMPQuery.decodeFloatingCode(0xFF) == 31744)
    }
}

@Suite struct IGMPFuzzSmokeTests {
    /// Random single-byte edits of every fixture, and random buffers: the parser and the table must
    /// neither trap nor accept a frame whose checksums no longer hold (caught by the checks above).
    @Test func mutatedFixturesNeverTrap() {
        var random = IGMPTestRandom(seed: 0x1D0C)
        var parsed = 0
        for (_, hex) in IGMPFixtures.all {
            let frame = fixture(hex)
            for _ in 0..<300 {
                var mutated = frame
                let position = Int.random(in: 0..<mutated.count, using: &random)
                mutated[position] = UInt8.random(in: 0...255, using: &random)
                if Bool.random(using: &random) { mutated.removeLast(Int.random(in: 0..<mutated.count, using: &random)) }
                if (try? parse(mutated)) != nil { parsed += 1 }
                mutated.withUnsafeBytes { fuzzIGMP($0) }
            }
        }
        // Edits that hit only the Ethernet addresses, padding or identification still parse; most do not.
        #expect(parsed > 0)
        #expect(parsed < IGMPFixtures.all.count * 300)
    }

    @Test func randomBuffersAndFrameSequences() {
        var random = IGMPTestRandom(seed: 42)
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes.withUnsafeBytes { fuzzIGMP($0) }
        }
        // A sequence of real frames, length-prefixed as fuzzIGMP reads them.
        var sequence: [UInt8] = []
        for (_, hex) in IGMPFixtures.all {
            let frame = fixture(hex)
            sequence += [UInt8(frame.count >> 8), UInt8(frame.count & 0xFF)] + frame
        }
        sequence.withUnsafeBytes { fuzzIGMP($0) }
    }
}
