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

    /// The interface's IPv6 link-local address (getifaddrs), the lowest when it has several;
    /// nil when it has none.
    public static func interfaceIPv6LinkLocal(_ name: String) -> IPv6Address? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var found: [IPv6Address] = []
        var entry: UnsafeMutablePointer<ifaddrs>? = first
        while let current = entry {
            defer { entry = current.pointee.ifa_next }
            guard let socketAddress = current.pointee.ifa_addr, socketAddress.pointee.sa_family == UInt16(AF_INET6),
                  let interfaceName = current.pointee.ifa_name, String(cString: interfaceName) == name else { continue }
            let address = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { IPv6Address($0, at: 0) }
            }
            if address.isLinkLocal { found.append(address) }
        }
        return found.min()
    }

    /// The bridge an interface is a port of (its sysfs `master` link), nil when it is none's.
    public static func bridgeMaster(of port: String) -> String? {
        guard InterfaceName.isValid(port), Glibc.access("/sys/class/net/\(port)/brport", F_OK) == 0 else { return nil }
        var target = [CChar](repeating: 0, count: 4096)
        let length = Glibc.readlink("/sys/class/net/\(port)/master", &target, target.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.split(separator: "/").last.map(String.init)
    }

    /// True when `upper` is stacked on `lower` (a VLAN device on a bridge: sysfs `lower_NAME`).
    public static func isStacked(_ upper: String, on lower: String) -> Bool {
        InterfaceName.isValid(upper) && InterfaceName.isValid(lower)
            && Glibc.access("/sys/class/net/\(upper)/lower_\(lower)", F_OK) == 0
    }

    /// The name of the interface with `index`, nil when there is none.
    public static func interfaceName(index: Int32) -> String? {
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(UInt32(bitPattern: index), &name) != nil else { return nil }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
