/// An IPv4 address, stored in host byte order so that comparisons and ranges read naturally.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text ("239.1.2.3"); nil for anything else (no shorthand forms).
    public init?(_ text: some StringProtocol) {
        var parts: [UInt32] = []
        for field in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !field.isEmpty, field.count <= 3, field.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = UInt32(field), number <= 255 else { return nil }
            parts.append(number)
        }
        guard parts.count == 4 else { return nil }
        value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }

    public var isMulticast: Bool { value >> 28 == 0xE }
    /// 224.0.0.0/24: link-local control traffic (IGMP, mDNS, ...), never translated.
    public var isLinkLocalMulticast: Bool { value >> 8 == 0xE00000 }
    /// 232.0.0.0/8: source-specific multicast.
    public var isSourceSpecific: Bool { value >> 24 == 232 }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// A 48-bit Ethernet address, stored in the low six bytes of a UInt64 (first octet highest).
public struct MACAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    public init(bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) {
        value = UInt64(bytes.0) << 40 | UInt64(bytes.1) << 32 | UInt64(bytes.2) << 24
            | UInt64(bytes.3) << 16 | UInt64(bytes.4) << 8 | UInt64(bytes.5)
    }

    /// Reads six bytes; the caller guarantees `bytes.count >= offset + 6`.
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        var v: UInt64 = 0
        for i in 0..<6 { v = v << 8 | UInt64(bytes[offset + i]) }
        value = v
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (colons or dashes, any case).
    public init?(_ text: some StringProtocol) {
        let fields = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard fields.count == 6 else { return nil }
        var v: UInt64 = 0
        for field in fields {
            guard field.count == 2, let byte = UInt8(field, radix: 16) else { return nil }
            v = v << 8 | UInt64(byte)
        }
        value = v
    }

    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(0)

    /// The I/G bit: set for group (multicast and broadcast) addresses.
    public var isGroup: Bool { value >> 40 & 1 == 1 }
    public var isUnicast: Bool { !isGroup && self != .zero }

    /// The Ethernet group address an IPv4 multicast group maps to (RFC 1112: 01:00:5e + low 23 bits).
    public init(multicastGroup group: IPv4Address) {
        value = 0x0100_5E00_0000 | UInt64(group.value & 0x7F_FFFF)
    }

    public func byte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: value >> UInt64(8 * (5 - index))) }

    public func write(to pointer: UnsafeMutableRawPointer) {
        for i in 0..<6 { pointer.storeBytes(of: byte(i), toByteOffset: i, as: UInt8.self) }
    }

    public var description: String {
        (0..<6).map { i in
            let b = byte(i)
            return String(b >> 4, radix: 16) + String(b & 0xF, radix: 16)
        }.joined(separator: ":")
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.value < rhs.value }
}
