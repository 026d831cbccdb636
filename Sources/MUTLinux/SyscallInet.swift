#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMutLinux
import MUTCore

/// The calls the HTTP `/metrics` listener (MetricsServer) needs: a TCP socket bound to an IPv4
/// or IPv6 literal address. `listen`, `accept` and `send` are shared with the control socket.
extension Syscall {
    /// A non-blocking, close-on-exec TCP socket of the address's family.
    public static func tcpSocket(for address: MetricsListenAddress) throws(SystemError) -> Int32 {
        let family: Int32
        switch address.host {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        }
        return try socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    }

    /// Binds to the address and port (network byte order on the wire).
    public static func bind(_ fd: Int32, to address: MetricsListenAddress) throws(SystemError) {
        switch address.host {
        case .v4(let ip):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = address.port.bigEndian
            sa.sin_addr.s_addr = ip.value.bigEndian
            try withUnsafePointer(to: &sa) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                    try bind(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(let ip):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = address.port.bigEndian
            var networkOrder = (ip.high.bigEndian, ip.low.bigEndian)
            withUnsafeBytes(of: &networkOrder) { source in
                withUnsafeMutableBytes(of: &sa.sin6_addr) { $0.copyMemory(from: source) }
            }
            try withUnsafePointer(to: &sa) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                    try bind(fd, raw, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The local port a socket is bound to (getsockname), for a listener bound to port 0.
    public static func boundPort(_ fd: Int32) throws(SystemError) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws(SystemError) in
                try retrying("getsockname") { Int(getsockname(fd, raw, &length)) }
            }
        }
        // sin_port and sin6_port sit at the same offset, right after the family.
        return withUnsafeBytes(of: &storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
    }
}
