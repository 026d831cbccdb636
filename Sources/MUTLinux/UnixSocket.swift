import CMutLinux
import Glibc

/// A failed system call on the control socket path: the call's name and errno, read at once.
public struct UnixSocketError: Error, Equatable, Sendable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "\(call): \(reason)" }
}

/// The calls the control socket and mutctl need, each wrapped once (after swift-nio's
/// System.swift): EINTR retried in one place, errno captured immediately, errors named by call.
/// "Would block" comes back as nil, never as an error.
enum UnixSocket {
    @inline(__always)
    private static func retrying(_ call: String, _ body: () -> Int) throws(UnixSocketError) -> Int {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            throw UnixSocketError(call: call, errno: error)
        }
    }

    @inline(__always)
    private static func retryingUnlessWouldBlock(_ call: String, _ body: () -> Int) throws(UnixSocketError) -> Int? {
        do {
            return try retrying(call, body)
        } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return nil
        }
    }

    static func streamSocket(nonBlocking: Bool) throws(UnixSocketError) -> Int32 {
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        return Int32(try retrying("socket") { Int(Glibc.socket(AF_UNIX, type, 0)) })
    }

    /// Calls `body` with a `sockaddr_un` for `path`; nil when the path does not fit (107 bytes).
    static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R? {
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

    static func isValidPath(_ path: String) -> Bool { withAddress(path) { _, _ in true } ?? false }

    static func bind(_ fd: Int32, path: String) throws(UnixSocketError) {
        guard let result = withAddress(path, { Glibc.bind(fd, $0, $1) }) else {
            throw UnixSocketError(call: "bind", errno: ENAMETOOLONG)
        }
        if result < 0 { throw UnixSocketError(call: "bind", errno: Glibc.errno) }
    }

    /// Connects; nil when a non-blocking connect would block (the listener's backlog is full).
    @discardableResult
    static func connect(_ fd: Int32, path: String) throws(UnixSocketError) -> Void? {
        var error: Int32 = 0
        while true {
            guard let result = withAddress(path, { Glibc.connect(fd, $0, $1) }) else {
                throw UnixSocketError(call: "connect", errno: ENAMETOOLONG)
            }
            if result == 0 { return () }
            error = Glibc.errno
            if error != EINTR { break }
        }
        if error == EAGAIN || error == EINPROGRESS { return nil }
        throw UnixSocketError(call: "connect", errno: error)
    }

    static func listen(_ fd: Int32, backlog: Int32) throws(UnixSocketError) {
        _ = try retrying("listen") { Int(Glibc.listen(fd, backlog)) }
    }

    /// Accepts one connection, made non-blocking and close-on-exec; nil when none is pending.
    static func accept(_ fd: Int32) throws(UnixSocketError) -> Int32? {
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

    /// Bytes read (0 at end of stream), or nil when nothing is there yet.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(UnixSocketError) -> Int? {
        try retryingUnlessWouldBlock("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// Bytes written, or nil when the socket buffer is full. Never raises SIGPIPE.
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(UnixSocketError) -> Int? {
        try retryingUnlessWouldBlock("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// `send` from `bytes[offset...]`; the buffer is borrowed only for the call.
    static func send(_ fd: Int32, _ bytes: [UInt8], from offset: Int) throws(UnixSocketError) -> Int? {
        try retryingUnlessWouldBlock("send") {
            bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, offset < raw.count else { return 0 }
                return Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// `read` into the whole of `buffer`.
    static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(UnixSocketError) -> Int? {
        try retryingUnlessWouldBlock("read") {
            buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        }
    }

    static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes, ignoring errors: on Linux the descriptor is gone even when close reports one.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(UnixSocketError) -> Int {
        let count = fds.count
        return try retrying("poll") { fds.withUnsafeMutableBufferPointer { Int(Glibc.poll($0.baseAddress, nfds_t(count), timeoutMilliseconds)) } }
    }

    static func setTimeouts(_ fd: Int32, seconds: Double) throws(UnixSocketError) {
        let whole = max(0, seconds.rounded(.down))
        var tv = timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = try retrying("setsockopt(SO_RCVTIMEO)") { Int(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, size)) }
        _ = try retrying("setsockopt(SO_SNDTIMEO)") { Int(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, size)) }
    }

    static func peerCredentials(_ fd: Int32) throws(UnixSocketError) -> (pid: Int32, uid: UInt32, gid: UInt32) {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
        _ = try retrying("getsockopt(SO_PEERCRED)") { Int(cmut_peer_credentials(fd, &pid, &uid, &gid)) }
        return (pid, uid, gid)
    }

    struct FileStatus {
        var isSocket: Bool
        var device: UInt64
        var inode: UInt64
    }

    /// nil when nothing is at `path`.
    static func fileStatus(_ path: String) throws(UnixSocketError) -> FileStatus? {
        var st = stat()
        if lstat(path, &st) < 0 {
            let error = Glibc.errno
            if error == ENOENT { return nil }
            throw UnixSocketError(call: "lstat", errno: error)
        }
        return FileStatus(isSocket: st.st_mode & S_IFMT == S_IFSOCK, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    static func unlink(_ path: String) throws(UnixSocketError) {
        _ = try retrying("unlink") { Int(Glibc.unlink(path)) }
    }

    static func chmod(_ path: String, mode: mode_t) throws(UnixSocketError) {
        _ = try retrying("chmod") { Int(Glibc.chmod(path, mode)) }
    }

    static func chown(_ path: String, group: gid_t) throws(UnixSocketError) {
        _ = try retrying("chown") { Int(Glibc.chown(path, uid_t.max, group)) }
    }

    /// Creates `path` and any missing parents with `mode`; existing directories are left alone.
    static func makeDirectories(_ path: String, mode: mode_t) throws(UnixSocketError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if Glibc.mkdir(prefix, mode) < 0 {
                let error = Glibc.errno
                if error != EEXIST { throw UnixSocketError(call: "mkdir \(prefix)", errno: error) }
            }
            prefix += "/"
        }
    }

    /// The gid of a group name (getgrnam_r: no shared static buffer); nil when there is no such group.
    static func groupID(named name: String) throws(UnixSocketError) -> gid_t? {
        var group = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var size = 1024
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            let status = getgrnam_r(name, &group, &buffer, buffer.count, &result)
            if status == ERANGE {
                size *= 2
                continue
            }
            if status != 0 { throw UnixSocketError(call: "getgrnam_r", errno: status) }
            return result == nil ? nil : group.gr_gid
        }
        throw UnixSocketError(call: "getgrnam_r", errno: ERANGE)
    }
}
