/// Builds the MLDv2 queries mutd sends as querier (RFC 3810 section 5.1): a whole Ethernet
/// frame for an AF_PACKET socket. IPv6 from the interface's link-local address, hop limit 1, a
/// hop-by-hop header with the Router Alert option (value 0, MLD), then ICMPv6 type 130 with
/// its checksum over the pseudo-header.
public enum MLDQueryFrame {
    public static let allNodes = IPv6Address(high: 0xFF02_0000_0000_0000, low: 1)

    /// RFC 3810 5.1.3: the Maximum Response Code in milliseconds, exact below 32768, else the
    /// largest floating value (mantissa 12 bits, exponent 3) not above `milliseconds`.
    public static func encodeMaxResponseCode(_ milliseconds: Int) -> UInt16 {
        if milliseconds < 32768 { return UInt16(max(0, milliseconds)) }
        let capped = min(milliseconds, 0x1FFF << 10)
        for exponent in stride(from: 7, through: 0, by: -1) {
            let mantissa = (capped >> (exponent + 3)) - 0x1000
            if mantissa >= 0 && mantissa <= 0xFFF { return 0x8000 | UInt16(exponent << 12) | UInt16(mantissa) }
        }
        return 32767
    }

    /// A query. The unspecified `group` makes a general query (to ff02::1), another group a
    /// group-specific one (to the group); `destinationMAC` sends it to one host's unicast MAC.
    /// Version 1 (RFC 2710, 24 bytes) only for per-host queries beside an MLDv1 querier.
    public static func build(
        version: Int = 2, group: IPv6Address = .unspecified, sourceMAC: MACAddress, sourceIP: IPv6Address,
        destinationMAC: MACAddress? = nil, timers: IGMPTimerValues, maxResponseTime: Double? = nil
    ) -> [UInt8] {
        let destination = group == .unspecified ? allNodes : group
        let responseMilliseconds = Int(((maxResponseTime ?? timers.queryResponseInterval) * 1000).rounded())
        let code = encodeMaxResponseCode(responseMilliseconds)
        var icmp: [UInt8] = [130, 0, 0, 0, UInt8(code >> 8), UInt8(code & 0xFF), 0, 0]
        icmp += bytes(of: group)
        if version >= 2 {
            let qrv = UInt8(timers.robustness <= 7 ? timers.robustness : 0)
            // QQIC has the floating encoding of IGMPv3's QQIC (RFC 3810 5.1.9).
            icmp += [qrv, IGMPQueryFrame.encodeFloatingCode(Int(timers.queryInterval.rounded())), 0, 0]
        } else {
            icmp[4] = UInt8(min(65535, responseMilliseconds) >> 8)
            icmp[5] = UInt8(min(65535, responseMilliseconds) & 0xFF)
        }
        let checksum = icmp.withUnsafeBytes { MLDPacket.icmpChecksum(source: sourceIP, destination: destination, $0) }
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xFF)

        // Hop-by-hop: next header 58, length 0 (8 bytes), Router Alert (5, 2, value 0), PadN (1, 0).
        let hopByHop: [UInt8] = [58, 0, 5, 2, 0, 0, 1, 0]
        let payloadLength = hopByHop.count + icmp.count
        var ip: [UInt8] = [0x60, 0, 0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xFF), 0, 1]
        ip += bytes(of: sourceIP) + bytes(of: destination)

        var frame = [UInt8](repeating: 0, count: Ethernet.headerLength)
        frame.withUnsafeMutableBytes { raw in
            Ethernet.writeHeader(to: raw.baseAddress!, destination: destinationMAC ?? multicastMAC(destination),
                                 source: sourceMAC, etherType: Ethernet.typeIPv6)
        }
        return frame + ip + hopByHop + icmp
    }

    /// RFC 2464 7: 33:33 and the group's low 32 bits.
    public static func multicastMAC(_ group: IPv6Address) -> MACAddress {
        MACAddress(0x3333_0000_0000 | (group.low & 0xFFFF_FFFF))
    }

    private static func bytes(of address: IPv6Address) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: address.high >> UInt64(56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: address.low >> UInt64(56 - 8 * $0)) }
    }
}
