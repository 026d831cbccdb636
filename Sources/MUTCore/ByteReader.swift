/// A bounds-checked reader over untrusted bytes. Every read either returns a value or throws
/// `ParseError.truncated`; nothing here can trap on input.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    public mutating func readUInt8() throws(ParseError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16() throws(ParseError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32() throws(ParseError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public mutating func readIPv4() throws(ParseError) -> IPv4Address {
        IPv4Address(try readUInt32())
    }

    public mutating func readMAC() throws(ParseError) -> MACAddress {
        guard remaining >= 6 else { throw .truncated }
        defer { offset += 6 }
        return MACAddress(bytes, at: offset)
    }

    public mutating func skip(_ count: Int) throws(ParseError) {
        guard count >= 0, remaining >= count else { throw .truncated }
        offset += count
    }

    /// The next `count` bytes as a slice of the underlying buffer, advancing past them.
    public mutating func readBytes(_ count: Int) throws(ParseError) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }
}

/// Why untrusted bytes were rejected. Parsers return these; they never log or trap.
public enum ParseError: Error, Equatable, Sendable {
    case truncated
    case badVersion(UInt8)
    case badHeaderLength(Int)
    case badTotalLength(Int)
    case badChecksum
    case notIPv4(etherType: UInt16)
    case notIGMP(protocol: UInt8)
    case notIPv6(etherType: UInt16)
    /// An IPv6 packet whose headers lead to something other than ICMPv6 (58).
    case notMLD(nextHeader: UInt8)
    case fragment
    case unknownType(UInt8)
    case badRecordCount
    case malformed(String)
}

/// The Internet checksum (RFC 1071) of `bytes`: 0 when a buffer including its checksum is intact.
/// `pseudoHeader`: the sum of the words a protocol checksums before its message (ICMPv6's).
public func internetChecksum(_ bytes: UnsafeRawBufferPointer, pseudoHeader: UInt32 = 0) -> UInt16 {
    var sum: UInt32 = pseudoHeader
    var i = 0
    while i + 1 < bytes.count {
        sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
        i += 2
    }
    if i < bytes.count { sum &+= UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) &+ (sum >> 16) }
    return ~UInt16(truncatingIfNeeded: sum)
}
