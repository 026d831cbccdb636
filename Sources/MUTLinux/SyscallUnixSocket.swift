#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMutLinux

/// The calls the control socket (ControlServer) and mutctl (ControlClient) need.
extension Syscall {
    public static func unixStreamSocket(nonBlocking: Bool) throws(SystemError) -> Int32 {
        try socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0), 0)
    }

    /// Calls `body` with a `sockaddr_un` for `path`; nil when the path does not fit (107 bytes).
    static func withUnixAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    public static func isValidUnixSocketPath(_ path: String) -> Bool { withUnixAddress(path) { _, _ in true } ?? false }

    public static func bind(_ fd: Int32, path: String) throws(SystemError) {
        guard let result = withUnixAddress(path, { Glibc.bind(fd, $0, $1) }) else {
            throw SystemError("bind", errno: ENAMETOOLONG)
        }
        if result < 0 { throw SystemError("bind", errno: Glibc.errno) }
    }

    /// Connects; nil when a non-blocking connect would block (the listener's backlog is full).
    @discardableResult
    public static func connect(_ fd: Int32, path: String) throws(SystemError) -> Void? {
        var error: Int32 = 0
        while true {
            guard let result = withUnixAddress(path, { Glibc.connect(fd, $0, $1) }) else {
                throw SystemError("connect", errno: ENAMETOOLONG)
            }
            if result == 0 { return () }
            error = Glibc.errno
            if error != EINTR { break }
        }
        if error == EAGAIN || error == EINPROGRESS { return nil }
        throw SystemError("connect", errno: error)
    }

    public static func listen(_ fd: Int32, backlog: Int32) throws(SystemError) {
        _ = try retrying("listen") { Int(Glibc.listen(fd, backlog)) }
    }

    /// Accepts one connection, made non-blocking and close-on-exec; nil when none is pending.
    public static func accept(_ fd: Int32) throws(SystemError) -> Int32? {
        guard let client = try retryingUnlessWouldBlock("accept", { Int(Glibc.accept(fd, nil, nil)) }) else { return nil }
        let descriptor = Int32(client)
        do {
            let flags = try retrying("fcntl(F_GETFL)") { Int(fcntl(descriptor, F_GETFL)) }
            _ = try retrying("fcntl(F_SETFL)") { Int(fcntl(descriptor, F_SETFL, Int32(flags) | O_NONBLOCK)) }
            _ = try retrying("fcntl(F_SETFD)") { Int(fcntl(descriptor, F_SETFD, FD_CLOEXEC)) }
        } catch {
            close(descriptor)
            throw error
        }
        return descriptor
    }

    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// SO_RCVTIMEO and SO_SNDTIMEO: a blocking call that runs out of time fails with EAGAIN.
    public static func setTimeouts(_ fd: Int32, seconds: Double) throws(SystemError) {
        let whole = max(0, seconds.rounded(.down))
        let tv = timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
        try setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, callName: "setsockopt(SO_RCVTIMEO)")
        try setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, callName: "setsockopt(SO_SNDTIMEO)")
    }

    public static func peerCredentials(_ fd: Int32) throws(SystemError) -> (pid: Int32, uid: UInt32, gid: UInt32) {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        _ = try retrying("getsockopt(SO_PEERCRED)") { Int(cmut_peer_credentials(fd, &pid, &uid, &gid)) }
        return (pid, uid, gid)
    }
}
