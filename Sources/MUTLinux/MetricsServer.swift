import Glibc
import MUTCore

public struct MetricsServerConfiguration: Sendable {
    public var address: MetricsListenAddress
    /// Connections served at once; one more is closed as soon as it is accepted (after a
    /// best-effort 503), so idle peers cannot pile up descriptors.
    public var maximumConnections = 8
    /// Seconds a connection has from accept to having read its whole answer.
    public var connectionTimeout = 5.0
    public var maximumHeadLength = HTTPRequestHeadDecoder.defaultMaximumLength

    public init(address: MetricsListenAddress) { self.address = address }
}

/// Why the listener could not be set up; `description` is the one line mutd prints.
public struct MetricsServerError: Error, CustomStringConvertible, Sendable {
    public let address: MetricsListenAddress
    public let error: SystemError

    public var description: String {
        var hint = ""
        if error.errno == EADDRINUSE { hint = " (another program listens on that port)" }
        if error.errno == EADDRNOTAVAIL { hint = " (no interface of this host has that address)" }
        if error.errno == EACCES || error.errno == EPERM { hint = " (ports below 1024 need CAP_NET_BIND_SERVICE)" }
        return "metrics-listen \(address): cannot listen: \(error)\(hint)"
    }
}

/// The HTTP `/metrics` endpoint: a read-only TCP listener driven by the daemon's poll loop like
/// the ControlServer (`pollDescriptors`, poll, `process`), never blocking it. One request per
/// connection; the parsing and the answers are MUTCore's (`HTTPRequestHeadDecoder`, `MetricsHTTP`).
/// Not thread-safe: one thread owns it.
public final class MetricsServer {
    public let configuration: MetricsServerConfiguration
    public let listeningDescriptor: Int32
    /// The bound port (the configured one, or the kernel's choice for port 0).
    public let port: UInt16
    private var connections: [Int32: Connection] = [:]
    private var closed = false
    /// Connections closed at once because `maximumConnections` were open.
    public private(set) var refusedConnections: UInt64 = 0
    public private(set) var answeredRequests: UInt64 = 0

    public init(configuration: MetricsServerConfiguration) throws(MetricsServerError) {
        self.configuration = configuration
        let address = configuration.address
        let fd: Int32
        do { fd = try Syscall.tcpSocket(for: address) } catch { throw MetricsServerError(address: address, error: error) }
        do throws(SystemError) {
            // A restart must not wait for the previous run's connections in TIME_WAIT.
            try Syscall.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, Int32(1), callName: "setsockopt(SO_REUSEADDR)")
            try Syscall.bind(fd, to: address)
            try Syscall.listen(fd, backlog: 16)
            port = try Syscall.boundPort(fd)
        } catch {
            Syscall.close(fd)
            throw MetricsServerError(address: address, error: error)
        }
        listeningDescriptor = fd
    }

    deinit { shutdown() }

    /// Closes every connection and the listener. Safe to call twice.
    public func shutdown() {
        guard !closed else { return }
        closed = true
        for fd in connections.keys { Syscall.close(fd) }
        connections.removeAll()
        Syscall.close(listeningDescriptor)
    }

    public var connectionCount: Int { connections.count }

    public func pollDescriptors() -> [pollfd] {
        guard !closed else { return [] }
        var fds = [pollfd(fd: listeningDescriptor, events: Int16(POLLIN), revents: 0)]
        for (fd, connection) in connections.sorted(by: { $0.key < $1.key }) {
            fds.append(pollfd(fd: fd, events: Int16(connection.output == nil ? POLLIN : POLLOUT), revents: 0))
        }
        return fds
    }

    /// Milliseconds until the next connection deadline; -1 when there is none.
    public func timeoutMilliseconds() -> Int32 {
        guard let next = connections.values.map(\.deadline).min() else { return -1 }
        return Int32(max(0, min(((next - Syscall.monotonicSeconds()) * 1000).rounded(.up), 60_000)))
    }

    /// Acts on polled entries (others' descriptors are ignored), then closes connections past
    /// their deadline. `exposition` is called once per GET or HEAD of /metrics.
    public func process(_ polled: [pollfd], exposition: () -> String) {
        guard !closed else { return }
        for entry in polled where entry.revents != 0 {
            if entry.fd == listeningDescriptor {
                acceptPending()
            } else if let connection = connections[entry.fd] {
                if connection.output == nil { read(connection, exposition: exposition) } else { flush(connection) }
            }
        }
        expireDeadlines()
    }

    /// Polls only this server's descriptors for up to `limit` ms and processes them (tests).
    public func step(waitingAtMost limit: Int32, exposition: () -> String) throws(SystemError) {
        var fds = pollDescriptors()
        let deadline = timeoutMilliseconds()
        _ = try Syscall.poll(&fds, timeoutMilliseconds: deadline < 0 ? limit : min(deadline, limit))
        process(fds, exposition: exposition)
    }

    // MARK: Connections

    private final class Connection {
        let fd: Int32
        let deadline: Double
        var decoder: HTTPRequestHeadDecoder
        var output: [UInt8]?
        var written = 0

        init(fd: Int32, deadline: Double, maximumHeadLength: Int) {
            self.fd = fd
            self.deadline = deadline
            decoder = HTTPRequestHeadDecoder(maximumLength: maximumHeadLength)
        }
    }

    private func acceptPending() {
        // At most a backlog's worth per turn, so that a flood cannot hold up the loop.
        for _ in 0..<16 {
            let accepted: Int32?
            do { accepted = try Syscall.accept(listeningDescriptor) } catch { return }
            guard let fd = accepted else { return }
            guard connections.count < configuration.maximumConnections else {
                refusedConnections += 1
                _ = try? Syscall.send(fd, MetricsHTTP.busyResponse, from: 0)
                Syscall.close(fd)
                continue
            }
            connections[fd] = Connection(fd: fd, deadline: Syscall.monotonicSeconds() + configuration.connectionTimeout,
                                         maximumHeadLength: configuration.maximumHeadLength)
        }
    }

    private func read(_ connection: Connection, exposition: () -> String) {
        var buffer = [UInt8](repeating: 0, count: 2048)
        var result = connection.decoder.result
        // Bounded by the decoder: it stops wanting bytes at its head limit.
        while result == .needMore {
            let count: Int?
            do { count = try Syscall.read(connection.fd, into: &buffer) } catch {
                return close(connection)
            }
            guard let count else { return }  // wait for more
            result = count == 0 ? connection.decoder.finish() : connection.decoder.feed(buffer[0..<count])
        }
        guard let outcome = result.outcome else { return }
        answeredRequests += 1
        connection.output = MetricsHTTP.response(to: outcome, exposition: exposition)
        flush(connection)
    }

    private func flush(_ connection: Connection) {
        guard let output = connection.output else { return }
        while connection.written < output.count {
            let sent: Int?
            do { sent = try Syscall.send(connection.fd, output, from: connection.written) } catch {
                return close(connection)
            }
            guard let sent else { return }  // socket buffer full: wait for POLLOUT
            connection.written += sent
        }
        close(connection, answered: true)
    }

    /// After an answer: end our side first and discard what the peer sent beyond its head, so
    /// that the close does not turn into a reset that could destroy the answer in flight.
    private func close(_ connection: Connection, answered: Bool = false) {
        connections[connection.fd] = nil
        if answered {
            Syscall.shutdownWrite(connection.fd)
            var sink = [UInt8](repeating: 0, count: 4096)
            for _ in 0..<16 {
                guard let count = try? Syscall.read(connection.fd, into: &sink), count > 0 else { break }
            }
        }
        Syscall.close(connection.fd)
    }

    private func expireDeadlines() {
        let now = Syscall.monotonicSeconds()
        for connection in connections.values where connection.deadline <= now {
            if connection.output == nil {
                // Said once, best effort; a peer that does not read it is not waited for.
                _ = try? Syscall.send(connection.fd, MetricsHTTP.timeoutResponse, from: 0)
            }
            close(connection)
        }
    }
}
