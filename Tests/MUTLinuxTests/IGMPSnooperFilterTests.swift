import Glibc
import Testing
@testable import MUTLinux

/// The snooper's classic BPF program, run by the kernel on a Unix datagram socket pair (no root
/// needed): the bytes sent are what the program sees as the frame.
@Suite struct IGMPSnooperFilterTests {
    /// An Ethernet frame: addresses, an optional 802.1Q tag, the type, then a 20-byte IPv4
    /// header whose protocol field is `ipProtocol`.
    static func frame(etherType: UInt16 = 0x0800, vlan: UInt16? = nil, ipProtocol: UInt8 = 2) -> [UInt8] {
        var bytes: [UInt8] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x16, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02]
        if let vlan { bytes += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        bytes += [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
        bytes += [0x46, 0xc0, 0x00, 0x20, 0, 0, 0x40, 0, 1, ipProtocol, 0, 0, 10, 0, 0, 2, 224, 0, 0, 22]
        return bytes
    }

    /// An IPv6 frame: addresses, an optional 802.1Q tag, 0x86DD, a 40-byte header whose next
    /// header is `nextHeader`, then an 8-byte extension header whose next header is `following`.
    static func ipv6Frame(vlan: UInt16? = nil, nextHeader: UInt8 = 0, following: UInt8 = 58) -> [UInt8] {
        var bytes: [UInt8] = [0x33, 0x33, 0x00, 0x00, 0x00, 0x16, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02]
        if let vlan { bytes += [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xFF)] }
        bytes += [0x86, 0xdd, 0x60, 0, 0, 0, 0, 36, nextHeader, 1]
        bytes += [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [2]
        bytes += [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [0x16]
        bytes += [following, 0, 5, 2, 0, 0, 1, 0]
        bytes += [143, 0, 0, 0, 0, 0, 0, 0]
        return bytes
    }

    /// Sends `bytes` through a filtered socket pair; true when the filter let them through.
    static func passes(_ bytes: [UInt8]) throws -> Bool {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &pair) == 0 else {
            throw SystemError("socketpair", errno: errno)
        }
        defer { close(pair[0]); close(pair[1]) }
        try Syscall.attachFilter(pair[1], IGMPSnooper.filter)
        _ = bytes.withUnsafeBytes { send(pair[0], $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let received = buffer.withUnsafeMutableBytes { recv(pair[1], $0.baseAddress, $0.count, 0) }
        return received == bytes.count
    }

    @Test func igmpPassesUntaggedAndTagged() throws {
        #expect(try Self.passes(Self.frame()))
        #expect(try Self.passes(Self.frame(vlan: 10)))
        #expect(try Self.passes(Self.frame(vlan: 0xF0FF)))
    }

    @Test func otherProtocolsAndTypesAreDropped() throws {
        #expect(try !Self.passes(Self.frame(ipProtocol: 17)))
        #expect(try !Self.passes(Self.frame(vlan: 10, ipProtocol: 17)))
        #expect(try !Self.passes(Self.frame(etherType: 0x0806)))
        #expect(try !Self.passes(Self.frame(etherType: 0x0806, vlan: 10)))
        #expect(try !Self.passes(Self.frame(etherType: 0x86dd, ipProtocol: 2)))
        // Stacked tags (QinQ): the inner tag is not looked into.
        var stacked = Self.frame(vlan: 10)
        stacked.insert(contentsOf: [0x81, 0x00, 0x00, 0x07], at: 16)
        #expect(try !Self.passes(stacked))
    }

    @Test func mldPassesUntaggedAndTagged() throws {
        #expect(try Self.passes(Self.ipv6Frame()))
        #expect(try Self.passes(Self.ipv6Frame(vlan: 10)))
    }

    @Test func otherIPv6IsDropped() throws {
        // UDP, ICMPv6 without a hop-by-hop header (neighbour discovery), hop-by-hop before UDP.
        #expect(try !Self.passes(Self.ipv6Frame(nextHeader: 17)))
        #expect(try !Self.passes(Self.ipv6Frame(nextHeader: 58)))
        #expect(try !Self.passes(Self.ipv6Frame(following: 17)))
        #expect(try !Self.passes(Self.ipv6Frame(vlan: 10, nextHeader: 17)))
        #expect(try !Self.passes(Self.ipv6Frame(vlan: 10, following: 17)))
        #expect(try !Self.passes(Array(Self.ipv6Frame().prefix(54))))
        #expect(try !Self.passes(Array(Self.ipv6Frame(vlan: 10).prefix(58))))
    }

    @Test func framesTooShortToHoldTheFieldsAreDropped() throws {
        let tagged = Self.frame(vlan: 10)
        for length in [0, 11, 13, 17, 23, 27] {
            #expect(try !Self.passes(Array(tagged.prefix(length))), "tagged frame cut to \(length) bytes")
        }
        #expect(try !Self.passes(Array(Self.frame().prefix(23))))
        #expect(try Self.passes(Array(Self.frame().prefix(24))))
    }
}
