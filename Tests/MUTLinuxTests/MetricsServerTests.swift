import Glibc
import MUTCore
import Testing
@testable import MUTLinux

/// The /metrics listener over real loopback TCP (port chosen by the kernel), driven by `step`.
/// No timing assertions: the deadline test uses a deadline of zero.
@Suite(.serialized) struct MetricsServerTests {
    static let exposition = "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x 1\n"

    func server(_ host: MetricsListenAddress.Host = .v4(IPv4Address(127, 0, 0, 1)), maximumConnections: Int = 8,
                timeout: Double = 5) throws -> MetricsServer {
        var configuration = MetricsServerConfiguration(address: MetricsListenAddress(host: host, port: 0))
        configuration.maximumConnections = maximumConnections
        configuration.connectionTimeout = timeout
        return try MetricsServer(configuration: configuration)
    }

    /// A blocking TCP client with a safety timeout.
    func connect(_ server: MetricsServer) throws -> Int32 {
        let address = MetricsListenAddress(host: server.configuration.address.host, port: server.port)
        let fd = try Syscall.socket(address.host == .v6(IPv6Address(high: 0, low: 1)) ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try Syscall.setTimeouts(fd, seconds: 5)
        var result: Int32 = -1
        switch address.host {
        case .v4(let ip):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = address.port.bigEndian
            sa.sin_addr.s_addr = ip.value.bigEndian
            result = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6:
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = address.port.bigEndian
            sa.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        #expect(result == 0, "connect: errno \(errno)")
        return fd
    }

    /// Sends `request`, steps the server until the client has the whole answer (end of stream).
    func exchange(_ server: MetricsServer, _ request: String) throws -> String {
        let fd = try connect(server)
        defer { Syscall.close(fd) }
        let answeredBefore = server.answeredRequests
        try sendAll(fd, Array(request.utf8))
        for _ in 0..<50 where server.answeredRequests == answeredBefore || server.connectionCount > 0 {
            try server.step(waitingAtMost: 100) { Self.exposition }
        }
        return String(decoding: readAll(fd), as: UTF8.self)
    }

    @Test func getMetricsOverIPv4() throws {
        let server = try server()
        defer { server.shutdown() }
        #expect(server.port > 0)
        let answer = try exchange(server, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(answer.contains("Content-Type: \(MetricsExposition.contentType)\r\n") && answer.contains("Connection: close\r\n"))
        #expect(answer.hasSuffix("\r\n\r\n" + Self.exposition))
        #expect(server.connectionCount == 0)
    }

    @Test func aLargeExpositionIsWrittenAcrossManyTurns() throws {
        let server = try server()
        defer { server.shutdown() }
        // Far beyond a socket buffer: the server must wait for POLLOUT rather than block or drop.
        let line = "mut_client_copies_total{interface=\"wlan0\",group=\"239.1.1.1\",client=\"10.0.0.1\",mac=\"unknown\"} 1\n"
        let big = String(repeating: line, count: 40_000)
        let fd = try connect(server)
        defer { Syscall.close(fd) }
        try sendAll(fd, Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var turns = 0
        while turns < 10_000 {
            turns += 1
            try server.step(waitingAtMost: 10) { big }
            let count = try buffer.withUnsafeMutableBytes { raw in try Syscall.recv(fd, raw, flags: Int32(MSG_DONTWAIT)) }
            guard let n = count else { continue }
            if n == 0 { break }
            received += buffer[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n") && text.contains("Content-Length: \(big.utf8.count)\r\n"))
        #expect(text.hasSuffix("\r\n\r\n" + big))
        #expect(turns > 2 && server.connectionCount == 0)
    }

    @Test func getMetricsOverIPv6Loopback() throws {
        // A host (or container) without IPv6 has nothing to test here.
        guard let inet6 = Syscall.readTextFile("/proc/net/if_inet6"), inet6.contains("00000000000000000000000000000001") else { return }
        let server = try server(.v6(IPv6Address(high: 0, low: 1)))
        defer { server.shutdown() }
        #expect(try exchange(server, "GET /metrics HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test func otherPathsAndGarbageAreAnsweredAndClosed() throws {
        let server = try server()
        defer { server.shutdown() }
        #expect(try exchange(server, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 404 "))
        #expect(try exchange(server, "PUT /metrics HTTP/1.0\r\n\r\n").hasPrefix("HTTP/1.1 405 "))
        #expect(try exchange(server, "\u{16}\u{3}\u{1}garbage\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
        #expect(server.connectionCount == 0)
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() throws {
        let server = try server(maximumConnections: 3)
        defer { server.shutdown() }
        let idle = try (0..<5).map { _ in try connect(server) }
        defer { idle.forEach(Syscall.close) }
        for _ in 0..<10 where server.refusedConnections < 2 { try server.step(waitingAtMost: 100) { Self.exposition } }
        #expect(server.connectionCount == 3)
        #expect(server.refusedConnections == 2)
        // The refused ones were told why and closed; the kept ones have no answer yet.
        #expect(String(decoding: readAll(idle[4]), as: UTF8.self).hasPrefix("HTTP/1.1 503 "))
    }

    @Test func silentConnectionsAreClosedAtTheirDeadline() throws {
        let server = try server(timeout: 0)
        defer { server.shutdown() }
        let fd = try connect(server)
        defer { Syscall.close(fd) }
        try server.step(waitingAtMost: 1000) { Self.exposition }
        #expect(server.connectionCount == 0)
        #expect(String(decoding: readAll(fd), as: UTF8.self).hasPrefix("HTTP/1.1 408 "))
    }

    @Test func aPortInUseIsOneClearError() throws {
        let first = try server()
        defer { first.shutdown() }
        let address = MetricsListenAddress(host: .v4(IPv4Address(127, 0, 0, 1)), port: first.port)
        do {
            _ = try MetricsServer(configuration: MetricsServerConfiguration(address: address))
            Issue.record("a second listener on \(address) was accepted")
        } catch {
            #expect(error.description.hasPrefix("metrics-listen \(address): cannot listen: bind: "))
            #expect(error.description.contains("another program listens on that port"))
        }
    }
}
