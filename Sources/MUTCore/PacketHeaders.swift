/// Ethernet header constants and the copy header MUT prepends to each queued IP packet.
public enum Ethernet {
    public static let headerLength = 14
    /// With one 802.1Q tag.
    public static let taggedHeaderLength = 18
    public static let typeVLAN: UInt16 = 0x8100
    public static let typeIPv4: UInt16 = 0x0800
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
