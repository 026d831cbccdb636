import Testing
@testable import MUTCore

/// MLD parsing (RFC 2710, RFC 3810): real frames, frames built field by field, and every way a
/// frame can lie about its lengths.
struct MLDParserTests {
    /// Captured with tcpdump in a network namespace on Linux 6.18: a host (02:00:00:00:00:21,
    /// fe80::ff:fe00:21) joining ff3e::8000:1 (MLDv2 CHANGE_TO_EXCLUDE {}), then leaving it
    /// (CHANGE_TO_INCLUDE {}). Hop-by-hop header with Router Alert 0 and PadN.
    static let capturedJoin = "33330000001602000000002186dd6000000000240001fe80000000000000000000fffe000021ff0200000000000000000000000000163a000502000001008f00f0ac0000000104000000ff3e0000000000000000000080000001"
    static let capturedLeave = "33330000001602000000002186dd6000000000240001fe80000000000000000000fffe000021ff0200000000000000000000000000163a000502000001008f00f1ac0000000103000000ff3e0000000000000000000080000001"

    static let host = IPv6Address("fe80::ff:fe00:21")!
    static let group = IPv6Address("ff3e::8000:1")!
    static let router = IPv6Address("fe80::1")!

    static func parse(_ bytes: [UInt8]) throws(ParseError) -> MLDPacket {
        let result: Result<MLDPacket, ParseError> = bytes.withUnsafeBytes { raw in
            Result { () throws(ParseError) -> MLDPacket in try MLDPacket.parse(frame: raw) }
        }
        return try result.get()
    }

    static func parse(hex: String) throws(ParseError) -> MLDPacket { try parse(IGMPFrameBuilder.bytes(hex: hex)) }

    static func address(_ a: IPv6Address) -> [UInt8] {
        a.groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Ethernet + IPv6 + hop-by-hop (Router Alert unless `routerAlert` is false) + `icmp` with
    /// its checksum filled in.
    static func frame(_ icmp: [UInt8], source: IPv6Address = host, destination: IPv6Address = IPv6Address("ff02::16")!,
                      hopLimit: UInt8 = 1, routerAlert: Bool = true, vlan: UInt16? = nil) -> [UInt8] {
        var message = icmp
        let sum = message.withUnsafeBytes { MLDPacket.icmpChecksum(source: source, destination: destination, $0) }
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xFF)
        let hopByHop: [UInt8] = [58, 0] + (routerAlert ? [5, 2, 0, 0] : [1, 2, 0, 0]) + [1, 0]
        let payload = hopByHop + message
        var bytes: [UInt8] = [0x33, 0x33, 0, 0, 0, 0x16, 2, 0, 0, 0, 0, 0x21]
        if let vlan { bytes += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        bytes += [0x86, 0xDD, 0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), 0, hopLimit]
        return bytes + address(source) + address(destination) + payload
    }

    @Test func capturedMLDv2ReportsParse() throws {
        let join = try Self.parse(hex: Self.capturedJoin)
        #expect(join.senderIP == Self.host)
        #expect(join.senderMAC == MACAddress("02:00:00:00:00:21")!)
        #expect(join.message == .v2Report([MLDRecord(type: 4, group: Self.group, sources: [])]))
        #expect(try Self.parse(hex: Self.capturedLeave).message == .v2Report([MLDRecord(type: 3, group: Self.group, sources: [])]))
    }

    @Test func v1ReportDoneAndQueriesParse() throws {
        let v1 = [UInt8](repeating: 0, count: 4) + Self.address(Self.group)
        #expect(try Self.parse(Self.frame([131, 0, 0, 0] + v1)).message == .v1Report(Self.group))
        #expect(try Self.parse(Self.frame([132, 0, 0, 0] + v1)).message == .v1Done(Self.group))
        let generalV1 = Self.frame([130, 0, 0, 0, 0x27, 0x10, 0, 0] + Self.address(.unspecified), source: Self.router)
        #expect(try Self.parse(generalV1).message == .query(MLDQuery(version: 1, group: .unspecified, maxResponseMilliseconds: 10000,
                                                                       robustness: 0, queryIntervalSeconds: 0, sources: [])))
        // MLDv2: max response code 0x8000 (floating point: 4096 << 3 = 32768 ms), QRV 2, QQIC 125, one source.
        let source = IPv6Address("2001:db8::5")!
        let v2 = Self.frame([130, 0, 0, 0, 0x80, 0x00, 0, 0] + Self.address(Self.group) + [2, 125, 0, 1] + Self.address(source),
                            source: Self.router)
        #expect(try Self.parse(v2).message == .query(MLDQuery(version: 2, group: Self.group, maxResponseMilliseconds: 32768,
                                                              robustness: 2, queryIntervalSeconds: 125, sources: [source])))
        #expect(try Self.parse(Self.frame([132, 0, 0, 0] + v1, vlan: 10)).vlanID == 10)
    }

    @Test func v2RecordsWithSourcesAndUnknownTypes() throws {
        let s1 = IPv6Address("2001:db8::1")!, s2 = IPv6Address("2001:db8::2")!
        let records: [UInt8] = [1, 0, 0, 2] + Self.address(Self.group) + Self.address(s1) + Self.address(s2)
            + [9, 1, 0, 0] + Self.address(Self.group) + [0xAA, 0xAA, 0xAA, 0xAA]  // unknown type, one aux word
        let packet = try Self.parse(Self.frame([143, 0, 0, 0, 0, 0, 0, 2] + records))
        #expect(packet.message == .v2Report([MLDRecord(type: 1, group: Self.group, sources: [s1, s2])]))
    }

    @Test func everyTruncationIsAnErrorNotATrap() {
        let full = IGMPFrameBuilder.bytes(hex: Self.capturedJoin)
        for length in 0..<full.count {
            #expect(throws: ParseError.self) { try Self.parse(Array(full.prefix(length))) }
        }
    }

    @Test func lyingLengthsAndBadFieldsAreRejected() {
        let full = IGMPFrameBuilder.bytes(hex: Self.capturedJoin)
        func edited(_ change: (inout [UInt8]) -> Void) -> [UInt8] { var f = full; change(&f); return f }
        // Payload length beyond the frame.
        #expect(throws: ParseError.badTotalLength(0x64)) { try Self.parse(edited { $0[19] = 0x64 }) }
        // A hop-by-hop length that runs past the payload.
        #expect(throws: ParseError.truncated) { try Self.parse(edited { $0[55] = 9 }) }
        // A record count, and a source count, the frame cannot hold (checksums no longer matter:
        // the checksum is checked first, so fix it up).
        let records: [UInt8] = [4, 0, 0, 0] + Self.address(Self.group)
        #expect(throws: ParseError.badRecordCount) { try Self.parse(Self.frame([143, 0, 0, 0, 0, 0, 0, 9] + records)) }
        #expect(throws: ParseError.badRecordCount) { try Self.parse(Self.frame([143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0x10, 0] + Self.address(Self.group))) }
        #expect(throws: ParseError.badChecksum) { try Self.parse(edited { $0[full.count - 1] ^= 1 }) }
        let v1 = [131, 0, 0, 0, 0, 0, 0, 0] + Self.address(Self.group)
        #expect(throws: ParseError.malformed("MLD without the Router Alert option")) { try Self.parse(Self.frame(v1, routerAlert: false)) }
        #expect(throws: ParseError.malformed("MLD with hop limit 255")) { try Self.parse(Self.frame(v1, hopLimit: 255)) }
        #expect(throws: ParseError.malformed("MLD report from 2001:db8::9")) { try Self.parse(Self.frame(v1, source: IPv6Address("2001:db8::9")!)) }
        #expect(throws: ParseError.unknownType(1)) { try Self.parse(Self.frame([1, 0, 0, 0] + v1.dropFirst(4))) }
        #expect(throws: ParseError.notIPv6(etherType: 0x0800)) { try Self.parse(edited { $0[12] = 0x08; $0[13] = 0x00 }) }
        #expect(throws: ParseError.badVersion(4)) { try Self.parse(edited { $0[14] = 0x40 }) }
        #expect(throws: ParseError.fragment) { try Self.parse(edited { $0[54] = 44 }) }
        #expect(throws: ParseError.notMLD(nextHeader: 17)) { try Self.parse(edited { $0[54] = 17 }) }
    }

    @Test func addressesReadAndWriteAsRFC5952() {
        for text in ["ff3e::8000:1", "fe80::ff:fe00:21", "::", "::1", "2001:db8::1:0:0:1", "1:2:3:4:5:6:7:8", "ff02::16"] {
            #expect(IPv6Address(text)?.description == text)
        }
        #expect(IPv6Address("2001:0db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        for bad in ["", ":", ":::", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "239.1.1.1"] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
        #expect(IPv6Address("ff3e::1")!.isMulticast && !IPv6Address("ff3e::1")!.isLinkScopeMulticast)
        #expect(IPv6Address("ff02::16")!.isLinkScopeMulticast)
        #expect(IPv6Address("fe80::1")!.isLinkLocal && !IPv6Address("2001:db8::1")!.isLinkLocal)
    }
}
