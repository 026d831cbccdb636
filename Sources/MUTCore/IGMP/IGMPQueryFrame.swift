/// Builds the membership queries mutd sends as querier: a whole Ethernet frame, ready for an
/// AF_PACKET socket. IPv4 with the Router Alert option and TTL 1 (RFC 2236, RFC 3376 section 4).
public enum IGMPQueryFrame {
    public static let allHosts = IPv4Address(224, 0, 0, 1)

    /// The encoding of RFC 3376 sections 4.1.1 and 4.1.7, the inverse of
    /// `IGMPQuery.decodeFloatingCode`: exact below 128, else the largest representable value not
    /// above `value` (capped at 31744).
    public static func encodeFloatingCode(_ value: Int) -> UInt8 {
        if value < 128 { return UInt8(max(0, value)) }
        let capped = min(value, 31744)
        for exponent in stride(from: 7, through: 0, by: -1) {
            let mantissa = (capped >> (exponent + 3)) - 0x10
            if mantissa >= 0 && mantissa <= 0xF {
                return 0x80 | UInt8(exponent << 4) | UInt8(mantissa)
            }
        }
        return 127
    }

    /// A query. `group` 0.0.0.0 makes a general query; `destinationMAC` lets a query go to one host's
    /// unicast MAC while its IP destination stays the group (or all-hosts) address.
    public static func build(
        version: Int, group: IPv4Address = IPv4Address(0), sourceMAC: MACAddress, sourceIP: IPv4Address,
        destinationMAC: MACAddress? = nil, timers: IGMPTimerValues, maxResponseTime: Double? = nil
    ) -> [UInt8] {
        let destination = group.value == 0 ? allHosts : group
        let responseTenths = Int(((maxResponseTime ?? timers.queryResponseInterval) * 10).rounded())
        var igmp: [UInt8]
        if version >= 3 {
            igmp = [0x11, encodeFloatingCode(responseTenths), 0, 0]
            append(group.value, to: &igmp)
            let qrv = UInt8(timers.robustness <= 7 ? timers.robustness : 0)
            igmp += [qrv, encodeFloatingCode(Int(timers.queryInterval.rounded())), 0, 0]
        } else {
            igmp = [0x11, UInt8(min(255, responseTenths)), 0, 0]
            append(group.value, to: &igmp)
        }
        let igmpChecksum = igmp.withUnsafeBytes { internetChecksum($0) }
        igmp[2] = UInt8(igmpChecksum >> 8)
        igmp[3] = UInt8(igmpChecksum & 0xFF)

        let totalLength = 24 + igmp.count
        var ip: [UInt8] = [0x46, 0xC0, UInt8(totalLength >> 8), UInt8(totalLength & 0xFF),
                           0, 0, 0, 0, 1, 2, 0, 0]
        append(sourceIP.value, to: &ip)
        append(destination.value, to: &ip)
        ip += [0x94, 0x04, 0x00, 0x00]  // Router Alert
        let ipChecksum = ip.withUnsafeBytes { internetChecksum($0) }
        ip[10] = UInt8(ipChecksum >> 8)
        ip[11] = UInt8(ipChecksum & 0xFF)

        var frame = [UInt8](repeating: 0, count: Ethernet.headerLength)
        frame.withUnsafeMutableBytes { raw in
            Ethernet.writeHeader(to: raw.baseAddress!, destination: destinationMAC ?? MACAddress(multicastGroup: destination), source: sourceMAC)
        }
        return frame + ip + igmp
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
