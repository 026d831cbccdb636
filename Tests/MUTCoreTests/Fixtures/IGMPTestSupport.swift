@testable import MUTCore

/// Builds IGMP frames the way Linux does (Router Alert option, TTL 1), with valid checksums, so
/// that tests can say exactly which one field is wrong.
enum IGMPFrameBuilder {
    static let hostMAC = MACAddress("02:00:00:00:00:02")!
    static let routerMAC = MACAddress("02:00:00:00:00:b0")!

    /// Hex text ("01005e...") to bytes; the fixtures are well-formed, so a bad digit is a test bug.
    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd hex length")
        return stride(from: 0, to: digits.count, by: 2).map { i in
            UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16)!
        }
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        Array(bytes).withUnsafeBytes { internetChecksum($0) }
    }

    static func message(type: UInt8, code: UInt8 = 0, body: [UInt8]) -> [UInt8] {
        var bytes = [type, code, 0, 0] + body
        let sum = checksum(bytes[...])
        bytes[2] = UInt8(sum >> 8)
        bytes[3] = UInt8(sum & 0xFF)
        return bytes
    }

    static func address(_ a: IPv4Address) -> [UInt8] {
        [UInt8(a.value >> 24), UInt8(a.value >> 16 & 0xFF), UInt8(a.value >> 8 & 0xFF), UInt8(a.value & 0xFF)]
    }

    static func v3Report(_ records: [(type: UInt8, group: IPv4Address, sources: [IPv4Address])], auxWords: UInt8 = 0,
                        claimedRecords: Int? = nil) -> [UInt8] {
        let count = claimedRecords ?? records.count
        var body: [UInt8] = [0, 0, UInt8(count >> 8), UInt8(count & 0xFF)]
        for record in records {
            body += [record.type, auxWords, UInt8(record.sources.count >> 8), UInt8(record.sources.count & 0xFF)]
            body += address(record.group)
            for source in record.sources { body += address(source) }
            body += Array(repeating: 0xAA, count: Int(auxWords) * 4)
        }
        return message(type: 0x22, body: body)
    }

    static func v3Query(group: IPv4Address = IPv4Address(0), maxResponseCode: UInt8, flags: UInt8, qqic: UInt8,
                        sources: [IPv4Address] = []) -> [UInt8] {
        var body = address(group) + [flags, qqic, UInt8(sources.count >> 8), UInt8(sources.count & 0xFF)]
        for source in sources { body += address(source) }
        return message(type: 0x11, code: maxResponseCode, body: body)
    }

    /// Ethernet + IPv4 (with a Router Alert option unless `routerAlert` is false) + `igmp`.
    static func frame(_ igmp: [UInt8], sourceMAC: MACAddress = hostMAC, source: IPv4Address = IPv4Address(10, 99, 0, 2),
                      destination: IPv4Address = IPv4Address(224, 0, 0, 22), routerAlert: Bool = true,
                      vlan: UInt16? = nil) -> [UInt8] {
        var frame: [UInt8] = []
        let destinationMAC = MACAddress(multicastGroup: destination)
        frame += (0..<6).map { destinationMAC.byte($0) }
        frame += (0..<6).map { sourceMAC.byte($0) }
        if let vlan { frame += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        frame += [0x08, 0x00]
        let options: [UInt8] = routerAlert ? [0x94, 0x04, 0x00, 0x00] : []
        let headerLength = 20 + options.count
        let total = headerLength + igmp.count
        var ip: [UInt8] = [UInt8(0x40 | headerLength / 4), 0xC0, UInt8(total >> 8), UInt8(total & 0xFF),
                           0, 0, 0x40, 0, 1, 2, 0, 0]
        ip += address(source) + address(destination) + options
        let sum = checksum(ip[...])
        ip[10] = UInt8(sum >> 8)
        ip[11] = UInt8(sum & 0xFF)
        return frame + ip + igmp
    }

    /// Offset of the IPv4 header in an untagged frame.
    static let ipOffset = 14

    /// Recomputes the IPv4 header checksum of an untagged frame after a test edited the header.
    static func fixIPChecksum(_ frame: inout [UInt8]) {
        let headerLength = Int(frame[ipOffset] & 0x0F) * 4
        frame[ipOffset + 10] = 0
        frame[ipOffset + 11] = 0
        let sum = checksum(frame[ipOffset..<ipOffset + headerLength])
        frame[ipOffset + 10] = UInt8(sum >> 8)
        frame[ipOffset + 11] = UInt8(sum & 0xFF)
    }

    /// Offset of the IGMP message in an untagged frame.
    static func igmpOffset(_ frame: [UInt8]) -> Int { ipOffset + Int(frame[ipOffset] & 0x0F) * 4 }

    /// Recomputes the IGMP checksum of an untagged frame after a test edited the message.
    static func fixIGMPChecksum(_ frame: inout [UInt8]) {
        let start = igmpOffset(frame)
        let total = Int(frame[ipOffset + 2]) << 8 | Int(frame[ipOffset + 3])
        let end = ipOffset + total
        frame[start + 2] = 0
        frame[start + 3] = 0
        let sum = checksum(frame[start..<end])
        frame[start + 2] = UInt8(sum >> 8)
        frame[start + 3] = UInt8(sum & 0xFF)
    }
}

/// A small deterministic generator (SplitMix64), so that randomised tests repeat exactly.
struct IGMPTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// IPv4 source lists as the IGMP tests write them.
extension SourceFilter {
    static func include(v4 sources: [IPv4Address]) -> SourceFilter { .include(sources.map(IPAddress.v4)) }
    static func exclude(v4 sources: [IPv4Address]) -> SourceFilter { .exclude(sources.map(IPAddress.v4)) }
}

extension RouteKey {
    init(interfaceIndex: Int32, group: IPv4Address) { self.init(interfaceIndex: interfaceIndex, group: .v4(group)) }
}

extension GroupRoute {
    func verdict(source: IPv4Address) -> Verdict { verdict(source: .v4(source)) }
}

/// The IPv4 addresses of a list of IGMP-era addresses, for comparing with members and memberships.
func v4(_ addresses: IPv4Address...) -> [IPAddress] { addresses.map(IPAddress.v4) }
