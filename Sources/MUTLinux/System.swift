#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMutLinux
import MUTCore

/// A failed system call: its name and errno, read immediately after the call. The one error
/// type of the syscall layer; callers wrap it in their own domain errors.
public struct SystemError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var message: String { String(cString: strerror(errno)) }
    public var description: String { "\(call): \(message)" }
    /// EAGAIN/EWOULDBLOCK: a blocking call's timeout (SO_RCVTIMEO, SO_SNDTIMEO) ran out.
    public var isWouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK }
}

/// Every libc call MUTLinux, mutd and mutctl make goes through these wrappers once (after
/// swift-nio's System.swift, in small): EINTR is retried here, errno is captured here, errors
/// are `SystemError`s named by call. One convention for non-blocking descriptors: a call that
/// would block returns nil, never an error. Split by concern: this file (sockets, descriptors,
/// time), SyscallInterfaces.swift (AF_PACKET, interface addresses), SyscallUnixSocket.swift
/// (the control socket), SyscallInet.swift (the metrics TCP listener), SyscallFiles.swift
/// (files, directories, groups).
public enum Syscall {
    @inline(__always)
    static func retrying(_ name: String, _ body: () -> Int) throws(SystemError) -> Int {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            throw SystemError(name, errno: error)
        }
    }

    /// `retrying`, with "would block" (EAGAIN/EWOULDBLOCK) as nil.
    @inline(__always)
    static func retryingUnlessWouldBlock(_ name: String, _ body: () -> Int) throws(SystemError) -> Int? {
        do {
            return try retrying(name, body)
        } catch where error.isWouldBlock {
            return nil
        }
    }

    public static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) throws(SystemError) -> Int32 {
        Int32(try retrying("socket") { Int(Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto)) })
    }

    /// Closes, ignoring errors: on Linux the descriptor is gone even when close reports one, and
    /// EINTR on close must not be retried.
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    public static func setsockopt<T: BitwiseCopyable>(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: T, callName: String = "setsockopt") throws(SystemError) {
        var value = value
        _ = try retrying(callName) {
            Int(Glibc.setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<T>.size)))
        }
    }

    public static func bind(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemError) {
        _ = try retrying("bind") { Int(Glibc.bind(fd, address, length)) }
    }

    /// Bytes sent, or nil when the socket buffer is full. MSG_NOSIGNAL always: a peer that has
    /// gone is an EPIPE error, never a SIGPIPE.
    public static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, flags: Int32 = 0) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, flags | Int32(MSG_NOSIGNAL)) }
    }

    /// `send` from `bytes[offset...]`; the buffer is borrowed only for the call.
    public static func send(_ fd: Int32, _ bytes: [UInt8], from offset: Int) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("send") {
            bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, offset < raw.count else { return 0 }
                return Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// Bytes received (0 at end of stream), or nil when nothing is pending.
    public static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("recv") { Glibc.recv(fd, buffer.baseAddress, buffer.count, flags) }
    }

    /// Bytes read (0 at end of stream), or nil when nothing is there yet.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `read` into the whole of `buffer`.
    public static func read(_ fd: Int32, into buffer: inout [UInt8]) throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock("read") {
            buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        }
    }

    /// sendmmsg: returns how many messages were sent, or throws for the first message failing.
    public static func sendmmsg(_ fd: Int32, _ messages: UnsafeMutablePointer<cmut_mmsghdr>, _ count: Int) throws(SystemError) -> Int {
        try retrying("sendmmsg") { Int(cmut_sendmmsg(fd, messages, UInt32(count), 0)) }
    }

    /// recvmmsg: how many messages were received, or nil when none arrived (would block, or the
    /// receive timeout ran out).
    public static func recvmmsg(_ fd: Int32, _ messages: UnsafeMutablePointer<cmut_mmsghdr>, _ count: Int, flags: Int32 = 0,
                                callName: String = "recvmmsg") throws(SystemError) -> Int? {
        try retryingUnlessWouldBlock(callName) { Int(cmut_recvmmsg(fd, messages, UInt32(count), flags, nil)) }
    }

    /// How many entries are ready; EINTR counts as none ready (0), so that the caller goes round
    /// its loop and re-checks its deadlines instead of waiting the whole timeout again.
    public static func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        let result = Glibc.poll(fds, nfds_t(count), timeoutMilliseconds)
        if result < 0 {
            let error = Glibc.errno
            if error == EINTR { return 0 }
            throw SystemError("poll", errno: error)
        }
        return Int(result)
    }

    public static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        let count = fds.count
        let result: Result<Int, SystemError> = fds.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .success(0) }
            return Result { () throws(SystemError) -> Int in try poll(base, count, timeoutMilliseconds: timeoutMilliseconds) }
        }
        return try result.get()
    }

    public static func signalFileDescriptor() throws(SystemError) -> Int32 {
        let fd = cmut_signalfd_for_daemon()
        if fd < 0 { throw SystemError("signalfd", errno: Glibc.errno) }
        return fd
    }

    /// Reads the next pending signal number from a signalfd; nil when none is pending.
    public static func readSignal(_ fd: Int32) -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        guard Glibc.read(fd, &info, size) == size else { return nil }
        return Int32(info.ssi_signo)
    }

    /// Writes all of `text` to `fd` (for log lines; errors are ignored: there is nowhere to report them).
    public static func writeAll(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && Glibc.errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Returns freed heap pages to the kernel (glibc malloc_trim).
    public static func releaseFreeMemory() {
        _ = malloc_trim(0)
    }

    /// Seconds on CLOCK_MONOTONIC: the daemon's one clock, injected into the pure core as a number.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
