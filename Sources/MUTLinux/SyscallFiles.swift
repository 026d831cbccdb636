#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Files, directories and the group database.
extension Syscall {
    /// Reads a small file whole (/proc, the state file); nil when it cannot be opened.
    public static func readFile(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            guard let n = try? read(fd, into: &chunk), n > 0 else { break }
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
        close(fd)
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
            close(directoryFD)
        }
    }

    public struct FileStatus: Sendable {
        public var isSocket: Bool
        public var device: UInt64
        public var inode: UInt64
    }

    /// lstat; nil when nothing is at `path`.
    public static func fileStatus(_ path: String) throws(SystemError) -> FileStatus? {
        var st = stat()
        if lstat(path, &st) < 0 {
            let error = Glibc.errno
            if error == ENOENT { return nil }
            throw SystemError("lstat", errno: error)
        }
        return FileStatus(isSocket: st.st_mode & S_IFMT == S_IFSOCK, device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    public static func unlink(_ path: String) throws(SystemError) {
        _ = try retrying("unlink") { Int(Glibc.unlink(path)) }
    }

    public static func chmod(_ path: String, mode: mode_t) throws(SystemError) {
        _ = try retrying("chmod") { Int(Glibc.chmod(path, mode)) }
    }

    /// Changes the group only.
    public static func chown(_ path: String, group: gid_t) throws(SystemError) {
        _ = try retrying("chown") { Int(Glibc.chown(path, uid_t.max, group)) }
    }

    /// Creates `path` and any missing parents with `mode`; existing directories are left alone.
    public static func makeDirectories(_ path: String, mode: mode_t) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if Glibc.mkdir(prefix, mode) < 0 {
                let error = Glibc.errno
                if error != EEXIST { throw SystemError("mkdir \(prefix)", errno: error) }
            }
            prefix += "/"
        }
    }

    /// The gid of a group name (getgrnam_r: no shared static buffer); nil when there is no such group.
    public static func groupID(named name: String) throws(SystemError) -> gid_t? {
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
            if status != 0 { throw SystemError("getgrnam_r", errno: status) }
            return result == nil ? nil : group.gr_gid
        }
        throw SystemError("getgrnam_r", errno: ERANGE)
    }
}
