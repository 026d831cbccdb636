import Glibc
import MUTCore

/// What the daemon implements: one decoded, permitted request in, one response out. Called on
/// the thread that drives the server; it must not block.
public protocol ControlHandler: AnyObject {
    func handle(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse
}

public struct ControlServerConfiguration: Sendable {
    public var path: String
    /// The socket's group (by name); nil keeps the daemon's own group.
    public var groupName: String?
    public var mode: mode_t = 0o660
    /// Mode for parent directories the server has to create.
    public var directoryMode: mode_t = 0o755
    public var maximumRequestLength = ControlRequestDecoder.defaultMaximumLength
    /// Seconds a peer has from connecting to sending a complete request line.
    public var requestTimeout = 2.0
    /// Seconds a peer has to read its response.
    public var responseTimeout = 10.0
    public var maximumConnections = 32

    public init(path: String, groupName: String? = nil) {
        self.path = path
        self.groupName = groupName
    }
}

/// Why the control socket could not be set up; `description` is the one line mutd prints.
public enum ControlServerError: Error, Equatable, Sendable, CustomStringConvertible {
    case pathInUse(String)
    case notASocket(String)
    case pathTooLong(String)
    case noSuchGroup(String)
    case system(path: String, SystemError)

    public var description: String {
        switch self {
        case .pathInUse(let path): return "socket path in use: another daemon answers at \(path)"
        case .notASocket(let path): return "\(path) exists and is not a socket; not removing it"
        case .pathTooLong(let path): return "socket path too long (at most 107 bytes): \(path)"
        case .noSuchGroup(let name): return "no such group '\(name)' for the control socket"
        case .system(let path, let error): return "control socket \(path): \(error)"
        }
    }
}

/// The daemon side of the control socket, driven by the daemon's poll loop and never blocking it.
///
/// Each loop turn: add `pollDescriptors()` to the poll set, poll with a timeout no longer than
/// `timeoutMilliseconds()`, then hand the polled entries (with their `revents`) to `process`.
/// `process` must run after every poll, also when it timed out, so deadlines are enforced.
/// Not thread-safe: one thread owns it.
public final class ControlServer {
    public let configuration: ControlServerConfiguration
    public let policy: ControlAccessPolicy
    public let listeningDescriptor: Int32
    private let socketFile: Syscall.FileStatus
    private var connections: [Int32: Connection] = [:]
    private var closed = false
    private let clock: () -> Double

    public init(configuration: ControlServerConfiguration) throws(ControlServerError) {
        self.configuration = configuration
        clock = Syscall.monotonicSeconds
        let path = configuration.path
        guard Syscall.isValidUnixSocketPath(path) else { throw .pathTooLong(path) }
        let groupID = try ControlServer.socketGroup(configuration)
        policy = ControlAccessPolicy(groupID: groupID, groupName: configuration.groupName)
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            do {
                try Syscall.makeDirectories(String(path[..<slash]), mode: configuration.directoryMode)
            } catch {
                throw .system(path: path, error)
            }
        }
        try ControlServer.removeStaleSocket(at: path)
        (listeningDescriptor, socketFile) = try ControlServer.listen(at: path, mode: configuration.mode,
                                                                     group: configuration.groupName == nil ? nil : groupID)
    }

    private static func socketGroup(_ configuration: ControlServerConfiguration) throws(ControlServerError) -> gid_t {
        guard let name = configuration.groupName else { return getegid() }
        let found: gid_t?
        do { found = try Syscall.groupID(named: name) } catch { throw .system(path: configuration.path, error) }
        guard let gid = found else { throw .noSuchGroup(name) }
        return gid
    }

    private static func listen(at path: String, mode: mode_t, group: gid_t?) throws(ControlServerError) -> (Int32, Syscall.FileStatus) {
        let fd: Int32
        do { fd = try Syscall.unixStreamSocket(nonBlocking: true) } catch { throw .system(path: path, error) }
        do {
            try Syscall.bind(fd, path: path)
        } catch {
            Syscall.close(fd)
            // EADDRINUSE: another daemon bound it between our check and our bind.
            throw error.errno == EADDRINUSE ? .pathInUse(path) : .system(path: path, error)
        }
        do throws(SystemError) {
            try Syscall.chmod(path, mode: mode)
            if let group { try Syscall.chown(path, group: group) }
            try Syscall.listen(fd, backlog: 16)
            guard let status = try Syscall.fileStatus(path) else { throw SystemError("lstat", errno: ENOENT) }
            return (fd, status)
        } catch {
            Syscall.close(fd)
            _ = try? Syscall.unlink(path)
            throw .system(path: path, error)
        }
    }

    deinit { shutdown() }

    /// A socket file at `path` is removed only when nothing answers on it.
    private static func removeStaleSocket(at path: String) throws(ControlServerError) {
        let status: Syscall.FileStatus?
        do { status = try Syscall.fileStatus(path) } catch { throw .system(path: path, error) }
        guard let status else { return }
        guard status.isSocket else { throw .notASocket(path) }
        let probe: Int32
        do { probe = try Syscall.unixStreamSocket(nonBlocking: true) } catch { throw .system(path: path, error) }
        defer { Syscall.close(probe) }
        do {
            // Connected, or would block because its backlog is full: someone listens there.
            try Syscall.connect(probe, path: path)
        } catch {
            guard error.errno == ECONNREFUSED else { throw .system(path: path, error) }
            do { try Syscall.unlink(path) } catch { throw .system(path: path, error) }
            return
        }
        throw .pathInUse(path)
    }

    /// Closes every connection and the listening socket, and removes the socket file if it is
    /// still the one this server created. Safe to call twice.
    public func shutdown() {
        guard !closed else { return }
        closed = true
        for fd in connections.keys { Syscall.close(fd) }
        connections.removeAll()
        Syscall.close(listeningDescriptor)
        if let now = try? Syscall.fileStatus(configuration.path), now.inode == socketFile.inode, now.device == socketFile.device {
            _ = try? Syscall.unlink(configuration.path)
        }
    }

    public var connectionCount: Int { connections.count }

    /// The descriptors to poll this turn, with the events wanted.
    public func pollDescriptors() -> [pollfd] {
        guard !closed else { return [] }
        var fds = [pollfd(fd: listeningDescriptor, events: Int16(POLLIN), revents: 0)]
        for (fd, connection) in connections.sorted(by: { $0.key < $1.key }) {
            fds.append(pollfd(fd: fd, events: Int16(connection.isWriting ? POLLOUT : POLLIN), revents: 0))
        }
        return fds
    }

    /// Milliseconds until the next connection deadline; -1 when there is none.
    public func timeoutMilliseconds() -> Int32 {
        guard let next = connections.values.map(\.deadline).min() else { return -1 }
        let ms = ((next - clock()) * 1000).rounded(.up)
        return Int32(max(0, min(ms, 60_000)))
    }

    /// Acts on polled entries: entries for descriptors that are not this server's are ignored, so
    /// the daemon may pass its whole poll set. Then closes connections past their deadline.
    public func process(_ polled: [pollfd], handler: some ControlHandler) {
        guard !closed else { return }
        for entry in polled where entry.revents != 0 {
            if entry.fd == listeningDescriptor {
                acceptPending()
            } else if let connection = connections[entry.fd] {
                if connection.isWriting {
                    flush(connection)
                } else {
                    readRequest(connection, handler: handler)
                }
            }
        }
        expireDeadlines()
    }

    /// Polls only this server's descriptors for up to `limit` ms (-1: no limit) and processes them;
    /// for tools and tests that have no poll loop of their own.
    public func step(waitingAtMost limit: Int32, handler: some ControlHandler) throws(SystemError) {
        var fds = pollDescriptors()
        let deadline = timeoutMilliseconds()
        let timeout = deadline < 0 ? limit : (limit < 0 ? deadline : min(deadline, limit))
        _ = try Syscall.poll(&fds, timeoutMilliseconds: timeout)
        process(fds, handler: handler)
    }

    // MARK: Connections

    private final class Connection {
        let fd: Int32
        let peer: PeerCredentials
        var decoder: ControlRequestDecoder
        var deadline: Double
        var output: [UInt8] = []
        var written = 0
        var isWriting = false

        init(fd: Int32, peer: PeerCredentials, maximumLength: Int, deadline: Double) {
            self.fd = fd
            self.peer = peer
            decoder = ControlRequestDecoder(maximumLength: maximumLength)
            self.deadline = deadline
        }
    }

    private func acceptPending() {
        // Bounded: at most a backlog's worth per turn so a flood cannot starve the data plane.
        for _ in 0..<16 {
            let accepted: Int32?
            do { accepted = try Syscall.accept(listeningDescriptor) } catch { return }
            guard let fd = accepted else { return }
            let credentials = try? Syscall.peerCredentials(fd)
            let peer = PeerCredentials(pid: credentials?.pid ?? 0, uid: credentials?.uid ?? UInt32.max, gid: credentials?.gid ?? UInt32.max)
            let connection = Connection(
                fd: fd, peer: peer, maximumLength: configuration.maximumRequestLength,
                deadline: clock() + configuration.requestTimeout)
            connections[fd] = connection
            if connections.count > configuration.maximumConnections {
                respond(connection, .refused("too many control connections (limit \(configuration.maximumConnections)); try again"))
            }
        }
    }

    private func readRequest(_ connection: Connection, handler: some ControlHandler) {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var result = connection.decoder.result
        // Bounded by the decoder: it stops needing bytes after `maximumRequestLength`.
        while result == .needMore {
            let count: Int?
            do {
                count = try Syscall.read(connection.fd, into: &buffer)
            } catch {
                close(connection)
                return
            }
            guard let count else { return }  // wait for more
            if count == 0 {
                result = connection.decoder.finish()
            } else {
                result = connection.decoder.feed(buffer[0..<count])
            }
        }
        switch result {
        case .needMore: return
        case .error(let error): respond(connection, .rejected(error))
        case .request(let request): respond(connection, answer(request, peer: connection.peer, handler: handler))
        }
    }

    private func answer(_ request: ControlRequest, peer: PeerCredentials, handler: some ControlHandler) -> ControlResponse {
        var peer = peer
        if policy.needsSupplementaryGroups(request, peer: peer), peer.pid > 0,
           let status = Syscall.readFile("/proc/\(peer.pid)/status", limit: 65536) {
            peer.supplementaryGroups = PeerCredentials.supplementaryGroups(procStatus: status)
        }
        if let refusal = policy.refusal(request, peer: peer) { return .refused(refusal) }
        return handler.handle(request, peer: peer)
    }

    private func respond(_ connection: Connection, _ response: ControlResponse) {
        connection.output = response.wireBytes
        connection.written = 0
        connection.isWriting = true
        connection.deadline = clock() + configuration.responseTimeout
        flush(connection)
    }

    private func flush(_ connection: Connection) {
        while connection.written < connection.output.count {
            let sent: Int?
            do {
                sent = try Syscall.send(connection.fd, connection.output, from: connection.written)
            } catch {
                close(connection)
                return
            }
            guard let sent else { return }  // socket buffer full: wait for POLLOUT
            connection.written += sent
        }
        close(connection)
    }

    private func close(_ connection: Connection) {
        connections[connection.fd] = nil
        Syscall.close(connection.fd)
    }

    private func expireDeadlines() {
        let now = clock()
        for connection in connections.values where connection.deadline <= now {
            if connection.isWriting {
                close(connection)
            } else {
                // Half-sent or silent: say why, best effort, then hang up.
                let partial = connection.decoder.result == .needMore
                respond(connection, .refused(partial
                    ? "no complete request within \(Self.seconds(configuration.requestTimeout)); a request is one line ending in a newline"
                    : "request timed out"))
                if connections[connection.fd] != nil {
                    // The peer is not reading either; do not wait a second deadline for it.
                    close(connection)
                }
            }
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
