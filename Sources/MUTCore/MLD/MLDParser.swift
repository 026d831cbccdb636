/// An MLD message (RFC 2710 MLDv1, RFC 3810 MLDv2) as snooped on a LAN interface.
public enum MLDMessage: Equatable, Sendable {
    /// A general query has the unspecified address as `group`.
    case query(MLDQuery)
    case v1Report(IPv6Address)
    case v1Done(IPv6Address)
    case v2Report([MLDRecord])
}

public struct MLDQuery: Equatable, Sendable {
    public var version: Int
    public var group: IPv6Address
    /// Milliseconds (MLDv2: the decoded Maximum Response Code).
    public var maxResponseMilliseconds: Int
    /// MLDv2 only: QRV and the decoded QQIC (seconds); 0 when absent.
    public var robustness: Int
    public var queryIntervalSeconds: Int
    public var sources: [IPv6Address]

    public var isGeneral: Bool { group == .unspecified }
}

/// One MLDv2 multicast address record: its type (1 IS_IN ... 6 BLOCK, as IGMPv3), group and sources.
public struct MLDRecord: Equatable, Sendable {
    public var type: UInt8
    public var group: IPv6Address
    public var sources: [IPv6Address]
}

/// A parsed frame: who sent it and what it says.
public struct MLDPacket: Equatable, Sendable {
    public var senderMAC: MACAddress
    public var senderIP: IPv6Address
    public var destination: IPv6Address
    public var vlanID: UInt16?
    public var message: MLDMessage

    /// Parses an Ethernet frame (an 802.1Q tag allowed) carrying IPv6 with a hop-by-hop header
    /// holding the Router Alert option (RFC 3810 5: MLD value 0), hop limit 1 and a link-local
    /// (or, for reports, unspecified) source, then ICMPv6 with a valid checksum and an MLD type.
    /// Every length is checked against what the frame holds: lying payload lengths, extension
    /// header lengths and source counts are errors, never reads past the end.
    public static func parse(frame: UnsafeRawBufferPointer) throws(ParseError) -> MLDPacket {
        var reader = ByteReader(frame)
        try reader.skip(6)
        let senderMAC = try reader.readMAC()
        var etherType = try reader.readUInt16()
        var vlanID: UInt16?
        if etherType == 0x8100 {
            vlanID = try reader.readUInt16() & 0x0FFF
            etherType = try reader.readUInt16()
        }
        guard etherType == 0x86DD else { throw .notIPv6(etherType: etherType) }
        let versionWord = try reader.readUInt32()
        guard versionWord >> 28 == 6 else { throw .badVersion(UInt8(versionWord >> 28)) }
        let payloadLength = Int(try reader.readUInt16())
        var nextHeader = try reader.readUInt8()
        let hopLimit = try reader.readUInt8()
        let source = IPv6Address(try reader.readBytes(16), at: 0)
        let destination = IPv6Address(try reader.readBytes(16), at: 0)
        guard reader.remaining >= payloadLength else { throw .badTotalLength(payloadLength) }
        // The payload, exactly: trailing Ethernet padding is not part of it.
        var payload = ByteReader(UnsafeRawBufferPointer(rebasing: frame[reader.offset..<reader.offset + payloadLength]))
        guard hopLimit == 1 else { throw .malformed("MLD with hop limit \(hopLimit)") }
        var routerAlert = false
        // Extension headers before ICMPv6: hop-by-hop (0) first, then any of destination options
        // (60) or routing (43); a fragment (44) is refused.
        var headers = 0
        while nextHeader != 58 {
            headers += 1
            guard headers <= 8 else { throw .malformed("too many extension headers") }
            switch nextHeader {
            case 0, 60, 43:
                let following = try payload.readUInt8()
                let length = (Int(try payload.readUInt8()) + 1) * 8 - 2
                var options = ByteReader(try payload.readBytes(length))
                if nextHeader == 0 { routerAlert = try Self.hasMLDRouterAlert(&options) }
                nextHeader = following
            case 44: throw .fragment
            default: throw .notMLD(nextHeader: nextHeader)
            }
        }
        guard routerAlert else { throw .malformed("MLD without the Router Alert option") }
        let icmpStart = payload.offset
        let icmp = UnsafeRawBufferPointer(rebasing: payload.bytes[icmpStart...])
        guard icmp.count >= 4 else { throw .truncated }
        guard Self.icmpChecksum(source: source, destination: destination, icmp) == 0 else { throw .badChecksum }
        let type = try payload.readUInt8()
        _ = try payload.readUInt8()  // code
        _ = try payload.readUInt16()  // checksum
        let message: MLDMessage
        switch type {
        case 130:
            message = .query(try Self.query(&payload, length: icmp.count))
        case 131, 132:
            try payload.skip(4)  // max response delay, reserved
            let group = IPv6Address(try payload.readBytes(16), at: 0)
            message = type == 131 ? .v1Report(group) : .v1Done(group)
        case 143:
            try payload.skip(2)
            let count = Int(try payload.readUInt16())
            // Each record is at least 20 bytes: a count the frame cannot hold is a lie.
            guard count * 20 <= payload.remaining else { throw .badRecordCount }
            var records: [MLDRecord] = []
            for _ in 0..<count {
                let recordType = try payload.readUInt8()
                let auxWords = Int(try payload.readUInt8())
                let sourceCount = Int(try payload.readUInt16())
                let group = IPv6Address(try payload.readBytes(16), at: 0)
                guard sourceCount * 16 + auxWords * 4 <= payload.remaining else { throw .badRecordCount }
                var sources: [IPv6Address] = []
                sources.reserveCapacity(sourceCount)
                for _ in 0..<sourceCount { sources.append(IPv6Address(try payload.readBytes(16), at: 0)) }
                try payload.skip(auxWords * 4)
                guard (1...6).contains(recordType) else { continue }  // RFC 3810 5.2.12: ignore unknown records
                records.append(MLDRecord(type: recordType, group: group, sources: sources))
            }
            message = .v2Report(records)
        default:
            throw .unknownType(type)
        }
        // RFC 3810 5.1.14, 5.2.13: queries and reports come from a link-local address; a report
        // may come from the unspecified address (a host without one yet).
        if case .query = message { guard source.isLinkLocal else { throw .malformed("MLD query from \(source)") } }
        else { guard source.isLinkLocal || source == .unspecified else { throw .malformed("MLD report from \(source)") } }
        return MLDPacket(senderMAC: senderMAC, senderIP: source, destination: destination, vlanID: vlanID, message: message)
    }

    /// Walks hop-by-hop options: Pad1 (0), PadN (1), Router Alert (5, length 2, value 0 = MLD).
    private static func hasMLDRouterAlert(_ options: inout ByteReader) throws(ParseError) -> Bool {
        var found = false
        while options.remaining > 0 {
            let type = try options.readUInt8()
            if type == 0 { continue }
            let length = Int(try options.readUInt8())
            let value = try options.readBytes(length)
            if type == 5 && length == 2 && value[0] == 0 && value[1] == 0 { found = true }
        }
        return found
    }

    private static func query(_ payload: inout ByteReader, length: Int) throws(ParseError) -> MLDQuery {
        let code = Int(try payload.readUInt16())
        try payload.skip(2)
        let group = IPv6Address(try payload.readBytes(16), at: 0)
        if length == 24 {
            return MLDQuery(version: 1, group: group, maxResponseMilliseconds: code, robustness: 0, queryIntervalSeconds: 0, sources: [])
        }
        guard length >= 28 else { throw .malformed("MLD query of \(length) bytes") }
        let flags = try payload.readUInt8()
        let qqic = Int(try payload.readUInt8())
        let sourceCount = Int(try payload.readUInt16())
        guard sourceCount * 16 <= payload.remaining else { throw .badRecordCount }
        var sources: [IPv6Address] = []
        for _ in 0..<sourceCount { sources.append(IPv6Address(try payload.readBytes(16), at: 0)) }
        // RFC 3810 5.1.3: codes from 32768 are a floating point value (mantissa 12 bits, exponent 3).
        let maxResponse = code < 32768 ? code : (code & 0x0FFF | 0x1000) << ((code >> 12 & 0x7) + 3)
        let interval = qqic < 128 ? qqic : (qqic & 0x0F | 0x10) << ((qqic >> 4 & 0x7) + 3)
        return MLDQuery(version: 2, group: group, maxResponseMilliseconds: maxResponse, robustness: Int(flags & 0x7),
                        queryIntervalSeconds: interval, sources: sources)
    }

    /// The ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header and the message: 0 when intact.
    public static func icmpChecksum(source: IPv6Address, destination: IPv6Address, _ icmp: UnsafeRawBufferPointer) -> UInt16 {
        var pseudoHeader: UInt32 = 0
        for word in source.groups + destination.groups { pseudoHeader &+= UInt32(word) }
        pseudoHeader &+= UInt32(icmp.count >> 16) &+ UInt32(icmp.count & 0xFFFF) &+ 58
        return internetChecksum(icmp, pseudoHeader: pseudoHeader)
    }
}
