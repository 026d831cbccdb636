/// Ethernet header constants and the copy header MUT prepends to each queued IP packet.
public enum Ethernet {
    public static let headerLength = 14
    /// With one 802.1Q tag.
    public static let taggedHeaderLength = 18
    public static let typeVLAN: UInt16 = 0x8100
    public static let typeIPv4: UInt16 = 0x0800
    public static let typeIPv6: UInt16 = 0x86DD
    public static let typeARP: UInt16 = 0x0806

    /// Writes destination, source and type (14 bytes) at `pointer`; with a VLAN ID, an 802.1Q
    /// tag (priority 0) before the type (18 bytes).
    public static func writeHeader(
        to pointer: UnsafeMutableRawPointer, destination: MACAddress, source: MACAddress,
        etherType: UInt16 = typeIPv4, vlanID: UInt16? = nil
    ) {
        destination.write(to: pointer)
        source.write(to: pointer + 6)
        var offset = 12
        func store(_ value: UInt16) {
            pointer.storeBytes(of: UInt8(value >> 8), toByteOffset: offset, as: UInt8.self)
            pointer.storeBytes(of: UInt8(value & 0xFF), toByteOffset: offset + 1, as: UInt8.self)
            offset += 2
        }
        if let vlanID {
            store(typeVLAN)
            store(vlanID & 0x0FFF)
        }
        store(etherType)
    }
}

/// The fields of a queued IPv4 packet that the fan-out decision needs. Checked cheaply: this runs
/// once per packet on the data path and must not allocate.
public struct IPv4Summary: Equatable, Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var totalLength: Int

    /// Reads version, header length, total length and addresses; rejects anything inconsistent
    /// with the buffer it came in.
    public static func parse(_ packet: UnsafeRawBufferPointer) -> IPv4Summary? {
        guard packet.count >= 20 else { return nil }
        let versionAndLength = packet[0]
        guard versionAndLength >> 4 == 4 else { return nil }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        let totalLength = Int(packet[2]) << 8 | Int(packet[3])
        guard headerLength >= 20, totalLength >= headerLength, totalLength <= packet.count else { return nil }
        func word(_ at: Int) -> UInt32 {
            UInt32(packet[at]) << 24 | UInt32(packet[at + 1]) << 16 | UInt32(packet[at + 2]) << 8 | UInt32(packet[at + 3])
        }
        return IPv4Summary(source: IPv4Address(word(12)), destination: IPv4Address(word(16)), totalLength: totalLength)
    }
}

/// The fields of a queued packet of either family that the fan-out decision needs; like
/// `IPv4Summary`, checked cheaply and without allocating.
public struct IPSummary: Equatable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    /// The IP packet's own length: bytes the queue appended beyond it are not sent.
    public var totalLength: Int

    public static func parse(_ packet: UnsafeRawBufferPointer) -> IPSummary? {
        guard let first = packet.first else { return nil }
        if first >> 4 == 4 {
            guard let v4 = IPv4Summary.parse(packet) else { return nil }
            return IPSummary(source: .v4(v4.source), destination: .v4(v4.destination), totalLength: v4.totalLength)
        }
        // IPv6 (RFC 8200): a fixed 40-byte header, then the payload length says the rest.
        guard first >> 4 == 6, packet.count >= 40 else { return nil }
        let totalLength = 40 + (Int(packet[4]) << 8 | Int(packet[5]))
        guard totalLength <= packet.count else { return nil }
        return IPSummary(source: .v6(IPv6Address(packet, at: 8)), destination: .v6(IPv6Address(packet, at: 24)),
                         totalLength: totalLength)
    }
}
