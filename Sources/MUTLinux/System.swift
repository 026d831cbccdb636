#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMutLinux
import MUTCore

/// A failed system call: its name and errno, read immediately after the call.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var message: String { String(cString: strerror(errno)) }
    public var description: String { "\(call): \(message)" }
}

/// Every libc call the daemon makes goes through these wrappers once: EINTR is retried here,
/// errno is captured here, errors carry the call's name (swift-nio's System.swift, in small).
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

    public static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32) throws(SystemError) -> Int32 {
        Int32(try retrying("socket") { Int(Glibc.socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto)) })
    }

    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)  // EINTR on close must not be retried on Linux.
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

    /// Binds an AF_PACKET socket to one interface; `protocol` is the ethertype to receive
    /// (host order), 0 for a send-only socket.
    public static func bindPacket(_ fd: Int32, interfaceIndex: Int32, protocol etherType: UInt16) throws(SystemError) {
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = etherType.bigEndian
        address.sll_ifindex = interfaceIndex
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
            }
        }
        if result < 0 { throw SystemError("bind(AF_PACKET)", errno: Glibc.errno) }
    }

    /// Attaches a classic BPF program (SO_ATTACH_FILTER).
    public static func attachFilter(_ fd: Int32, _ program: [sock_filter]) throws(SystemError) {
        var instructions = program
        let result = instructions.withUnsafeMutableBufferPointer { buffer in
            var fprog = sock_fprog(len: UInt16(buffer.count), filter: buffer.baseAddress)
            return Glibc.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, socklen_t(MemoryLayout<sock_fprog>.size))
        }
        if result < 0 { throw SystemError("setsockopt(SO_ATTACH_FILTER)", errno: Glibc.errno) }
    }

    public static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, flags: Int32 = 0) throws(SystemError) -> Int {
        try retrying("send") { Glibc.send(fd, buffer.baseAddress, buffer.count, flags) }
    }

    public static func sendto(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemError) -> Int {
        try retrying("sendto") { Glibc.sendto(fd, buffer.baseAddress, buffer.count, 0, address, length) }
    }

    /// recv that reports "would block" as nil instead of an error.
    public static func recv(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0) throws(SystemError) -> Int? {
        while true {
            let result = Glibc.recv(fd, buffer.baseAddress, buffer.count, flags)
            if result >= 0 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            throw SystemError("recv", errno: error)
        }
    }

    /// sendmmsg: returns how many messages were sent, or throws for the first message failing.
    public static func sendmmsg(_ fd: Int32, _ messages: UnsafeMutablePointer<cmut_mmsghdr>, _ count: Int) throws(SystemError) -> Int {
        try retrying("sendmmsg") { Int(cmut_sendmmsg(fd, messages, UInt32(count), 0)) }
    }

    public static func poll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int, timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        let result = Glibc.poll(fds, nfds_t(count), timeoutMilliseconds)
        if result < 0 {
            let error = Glibc.errno
            if error == EINTR { return 0 }
            throw SystemError("poll", errno: error)
        }
        return Int(result)
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

    /// Reads a small file whole (/proc, the state file); nil when it cannot be opened.
    public static func readFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && Glibc.errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    public static func readTextFile(_ path: String, limit: Int = 1 << 20) -> String? {
        readFile(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Replaces `path` with `text` so that a crash leaves either the old file or the new one:
    /// write a temporary file beside it, fsync it, rename it over, fsync the directory.
    public static func writeFileAtomically(_ path: String, _ text: String, mode: mode_t = 0o600) throws(SystemError) {
        let temporary = path + ".tmp"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError("open(\(temporary))", errno: Glibc.errno) }
        var failure: SystemError?
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if Glibc.errno == EINTR { continue }
                    failure = SystemError("write(\(temporary))", errno: Glibc.errno)
                    return
                }
                offset += n
            }
        }
        if failure == nil && Glibc.fsync(fd) < 0 { failure = SystemError("fsync(\(temporary))", errno: Glibc.errno) }
        Glibc.close(fd)
        if let failure {
            Glibc.unlink(temporary)
            throw failure
        }
        if Glibc.rename(temporary, path) < 0 {
            let error = SystemError("rename(\(temporary), \(path))", errno: Glibc.errno)
            Glibc.unlink(temporary)
            throw error
        }
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let directoryFD = Glibc.open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = Glibc.fsync(directoryFD)
            Glibc.close(directoryFD)
        }
    }

    /// Seconds on CLOCK_MONOTONIC: the daemon's one clock, injected into the pure core as a number.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
