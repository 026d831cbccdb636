/// An IGMP message as snooped from one Ethernet frame, with the addresses that identify the host.
public struct IGMPPacket: Equatable, Sendable {
    public var ethernet: EthernetHeader
    public var ip: IPv4Header
    public var message: IGMPMessage

    public var senderMAC: MACAddress { ethernet.source }
    public var senderIP: IPv4Address { ip.source }
    public var destinationIP: IPv4Address { ip.destination }

    /// Parses Ethernet (one optional 802.1Q tag) → IPv4 → IGMP. Trailing bytes after the IP total
    /// length (Ethernet padding) are ignored. Never traps; every rejection is a `ParseError`.
    public static func parse(frame: UnsafeRawBufferPointer) throws(ParseError) -> IGMPPacket {
        var reader = ByteReader(frame)
        let ethernet = try EthernetHeader.parse(&reader)
        guard ethernet.etherType == Ethernet.typeIPv4 else { throw .notIPv4(etherType: ethernet.etherType) }
        let ip = try IPv4Header.parse(&reader)
        guard ip.protocolNumber == IPv4Header.protocolIGMP else { throw .notIGMP(protocol: ip.protocolNumber) }
        let message = try parseIGMP(try reader.readBytes(ip.totalLength - ip.headerLength))
        return IGMPPacket(ethernet: ethernet, ip: ip, message: message)
    }

    public static func parse(frame: [UInt8]) throws(ParseError) -> IGMPPacket {
        try frame.withUnsafeBytes { bytes in
            Result { () throws(ParseError) in try parse(frame: bytes) }
        }.get()
    }

    /// Parses one IGMP message (the IP payload, exactly: its length is the IP payload length).
    public static func parseIGMP(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> IGMPMessage {
        guard bytes.count >= 8 else { throw .truncated }
        guard internetChecksum(bytes) == 0 else { throw .badChecksum }
        var reader = ByteReader(bytes)
        let type = try reader.readUInt8()
        let code = try reader.readUInt8()
        _ = try reader.readUInt16()  // checksum, verified above
        switch type {
        case IGMPType.query:
            return .query(try parseQuery(maxResponseCode: code, &reader))
        case IGMPType.v1Report:
            return .v1Report(group: try reader.readIPv4())
        case IGMPType.v2Report:
            return .v2Report(group: try reader.readIPv4())
        case IGMPType.v2Leave:
            return .v2Leave(group: try reader.readIPv4())
        case IGMPType.v3Report:
            return .v3Report(try parseV3Report(&reader))
        default:
            throw .unknownType(type)
        }
    }

    /// RFC 3376 section 7.1: 8 bytes is v1 (code 0) or v2; 12 or more is v3; 9 to 11 is invalid.
    private static func parseQuery(maxResponseCode: UInt8, _ reader: inout ByteReader) throws(ParseError) -> IGMPQuery {
        let group = try reader.readIPv4()
        let length = reader.bytes.count
        if length == 8 {
            return IGMPQuery(version: maxResponseCode == 0 ? 1 : 2, group: group, maxResponseCode: maxResponseCode)
        }
        guard length >= 12 else { throw .malformed("IGMP query of \(length) bytes (neither 8 nor at least 12)") }
        let flags = try reader.readUInt8()
        let queryIntervalCode = try reader.readUInt8()
        let sourceCount = Int(try reader.readUInt16())
        guard sourceCount * 4 <= reader.remaining else { throw .badRecordCount }
        var sources: [IPv4Address] = []
        sources.reserveCapacity(sourceCount)
        for _ in 0..<sourceCount { sources.append(try reader.readIPv4()) }
        // Bytes after the source list are ignored (RFC 3376 section 4.1.10).
        return IGMPQuery(
            version: 3, group: group, maxResponseCode: maxResponseCode,
            suppressRouterProcessing: flags & 0x08 != 0, robustness: Int(flags & 0x07),
            queryIntervalCode: queryIntervalCode, sources: sources)
    }

    private static func parseV3Report(_ reader: inout ByteReader) throws(ParseError) -> IGMPv3Report {
        _ = try reader.readUInt16()  // reserved
        let recordCount = Int(try reader.readUInt16())
        // Each record needs at least 8 bytes: a count that cannot fit is a lie, caught before allocating.
        guard recordCount * 8 <= reader.remaining else { throw .badRecordCount }
        var records: [IGMPGroupRecord] = []
        records.reserveCapacity(recordCount)
        var unknown = 0
        for _ in 0..<recordCount {
            guard reader.remaining >= 8 else { throw .badRecordCount }
            let rawType = try reader.readUInt8()
            let auxWords = Int(try reader.readUInt8())
            let sourceCount = Int(try reader.readUInt16())
            let group = try reader.readIPv4()
            guard sourceCount * 4 <= reader.remaining else { throw .badRecordCount }
            var sources: [IPv4Address] = []
            sources.reserveCapacity(sourceCount)
            for _ in 0..<sourceCount { sources.append(try reader.readIPv4()) }
            guard auxWords * 4 <= reader.remaining else {
                throw .malformed("IGMPv3 group record auxiliary data overruns the message")
            }
            try reader.skip(auxWords * 4)
            guard let type = IGMPRecordType(rawValue: rawType) else {
                unknown += 1
                continue
            }
            records.append(IGMPGroupRecord(type: type, group: group, sources: sources, auxDataLength: auxWords * 4))
        }
        return IGMPv3Report(records: records, unknownRecords: unknown)
    }
}

/// An Ethernet II header, with one 802.1Q tag skipped when present.
public struct EthernetHeader: Equatable, Sendable {
    public static let typeVLAN: UInt16 = 0x8100

    public var destination: MACAddress
    public var source: MACAddress
    /// The type after the VLAN tag, if there was one.
    public var etherType: UInt16
    /// The 12-bit VLAN ID of a skipped 802.1Q tag.
    public var vlanID: UInt16?

    /// Stacked tags (0x88a8, or a second 0x8100) are reported as `notIPv4` with that type.
    public static func parse(_ reader: inout ByteReader) throws(ParseError) -> EthernetHeader {
        let destination = try reader.readMAC()
        let source = try reader.readMAC()
        var etherType = try reader.readUInt16()
        var vlanID: UInt16?
        if etherType == typeVLAN {
            vlanID = try reader.readUInt16() & 0x0FFF
            etherType = try reader.readUInt16()
        }
        return EthernetHeader(destination: destination, source: source, etherType: etherType, vlanID: vlanID)
    }
}

/// An IPv4 header with its options walked (RFC 791), as far as IGMP snooping cares.
public struct IPv4Header: Equatable, Sendable {
    public static let protocolIGMP: UInt8 = 2
    public static let optionRouterAlert: UInt8 = 0x94

    public var headerLength: Int
    public var totalLength: Int
    public var typeOfService: UInt8
    public var timeToLive: UInt8
    public var protocolNumber: UInt8
    public var source: IPv4Address
    public var destination: IPv4Address
    /// RFC 2113 Router Alert option present (IGMPv2/v3 senders set it; RFC 3376 section 9.1 lets
    /// routers ignore reports without it: policy for the caller).
    public var routerAlert: Bool

    /// Reads the header at the reader's position and checks version, header length, header checksum,
    /// total length against the bytes available, options and fragmentation (fragments are refused:
    /// IGMP messages are never fragmented by honest senders).
    public static func parse(_ reader: inout ByteReader) throws(ParseError) -> IPv4Header {
        let start = reader.offset
        let versionAndLength = try reader.readUInt8()
        guard versionAndLength >> 4 == 4 else { throw .badVersion(versionAndLength >> 4) }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20 else { throw .badHeaderLength(headerLength) }
        guard reader.bytes.count - start >= headerLength else { throw .truncated }
        let header = UnsafeRawBufferPointer(rebasing: reader.bytes[start..<start + headerLength])
        guard internetChecksum(header) == 0 else { throw .badChecksum }
        let typeOfService = try reader.readUInt8()
        let totalLength = Int(try reader.readUInt16())
        guard totalLength >= headerLength, totalLength <= reader.bytes.count - start else {
            throw .badTotalLength(totalLength)
        }
        _ = try reader.readUInt16()  // identification
        let fragment = try reader.readUInt16()
        // More-fragments flag or a non-zero offset; the DF flag is fine.
        guard fragment & 0x3FFF == 0 else { throw .fragment }
        let timeToLive = try reader.readUInt8()
        let protocolNumber = try reader.readUInt8()
        _ = try reader.readUInt16()  // checksum, verified above
        let source = try reader.readIPv4()
        let destination = try reader.readIPv4()
        let routerAlert = try walkOptions(try reader.readBytes(headerLength - 20))
        return IPv4Header(
            headerLength: headerLength, totalLength: totalLength, typeOfService: typeOfService,
            timeToLive: timeToLive, protocolNumber: protocolNumber, source: source, destination: destination,
            routerAlert: routerAlert)
    }

    /// Walks the option list; true when it holds a Router Alert. Options whose length byte lies
    /// about the header are an error.
    private static func walkOptions(_ options: UnsafeRawBufferPointer) throws(ParseError) -> Bool {
        var reader = ByteReader(options)
        var routerAlert = false
        while reader.remaining > 0 {
            let kind = try reader.readUInt8()
            if kind == 0 { break }  // end of option list
            if kind == 1 { continue }  // no-operation
            guard reader.remaining >= 1 else { throw .malformed("IPv4 option \(kind) without a length") }
            let length = Int(try reader.readUInt8())
            guard length >= 2, length - 2 <= reader.remaining else {
                throw .malformed("IPv4 option \(kind) of length \(length) overruns the header")
            }
            if kind == optionRouterAlert {
                guard length == 4 else { throw .malformed("IPv4 router alert of length \(length)") }
                routerAlert = true
            }
            try reader.skip(length - 2)
        }
        return routerAlert
    }
}
