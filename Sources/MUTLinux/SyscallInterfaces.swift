#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMutLinux
import MUTCore

/// AF_PACKET sockets and interface lookups.
extension Syscall {
    /// Binds an AF_PACKET socket to one interface; `protocol` is the ethertype to receive
    /// (host order), 0 for a send-only socket.
    public static func bindPacket(_ fd: Int32, interfaceIndex: Int32, protocol etherType: UInt16) throws(SystemError) {
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = etherType.bigEndian
        address.sll_ifindex = interfaceIndex
        _ = try retrying("bind(AF_PACKET)") {
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Int(Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)))
                }
            }
        }
    }

    /// Binds a netlink socket to the multicast `groups` (a bit mask, RTMGRP_*).
    public static func bindNetlink(_ fd: Int32, groups: UInt32) throws(SystemError) {
        var address = sockaddr_nl()
        address.nl_family = UInt16(AF_NETLINK)
        address.nl_groups = groups
        _ = try retrying("bind(NETLINK_ROUTE)") {
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Int(Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)))
                }
            }
        }
    }

    /// Attaches a classic BPF program (SO_ATTACH_FILTER).
    public static func attachFilter(_ fd: Int32, _ program: [sock_filter]) throws(SystemError) {
        var instructions = program
        _ = try retrying("setsockopt(SO_ATTACH_FILTER)") {
            instructions.withUnsafeMutableBufferPointer { buffer in
                var fprog = sock_fprog(len: UInt16(buffer.count), filter: buffer.baseAddress)
                return Int(Glibc.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, socklen_t(MemoryLayout<sock_fprog>.size)))
            }
        }
    }

    /// recvfrom on an AF_PACKET socket: the frame length and its packet type (PACKET_HOST,
    /// PACKET_OUTGOING, ...); nil when nothing is pending.
    public static func receivePacket(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> (Int, UInt8)? {
        var address = sockaddr_ll()
        var length = socklen_t(MemoryLayout<sockaddr_ll>.size)
        let received = try retryingUnlessWouldBlock("recvfrom(AF_PACKET)") {
            withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.recvfrom(fd, buffer.baseAddress, buffer.count, 0, $0, &length)
                }
            }
        }
        return received.map { ($0, address.sll_pkttype) }
    }

    public static func interfaceIndex(_ name: String) throws(SystemError) -> Int32 {
        let index = if_nametoindex(name)
        if index == 0 { throw SystemError("if_nametoindex(\(name))", errno: Glibc.errno) }
        return Int32(index)
    }

    public static func interfaceMAC(_ name: String, using fd: Int32) throws(SystemError) -> (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
        var mac: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        let result = withUnsafeMutableBytes(of: &mac) { raw in
            cmut_interface_hwaddr(fd, name, raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        if result < 0 { throw SystemError("SIOCGIFHWADDR(\(name))", errno: Glibc.errno) }
        return mac
    }

    /// The interface's IPv4 address (SIOCGIFADDR); nil when it has none.
    public static func interfaceIPv4(_ name: String, using fd: Int32) -> IPv4Address? {
        var address: UInt32 = 0
        guard cmut_interface_ipv4(fd, name, &address) == 0 else { return nil }
        return IPv4Address(UInt32(bigEndian: address))
    }
}
