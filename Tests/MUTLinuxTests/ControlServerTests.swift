import Glibc
import MUTCore
import Synchronization
import Testing
@testable import MUTLinux

/// The control server over real Unix sockets in a fresh temporary directory, with a fake handler.
/// No timing assertions: deadlines are tested with a zero timeout.

final class FakeHandler: ControlHandler, @unchecked Sendable {
    var requests: [(ControlRequest, PeerCredentials)] = []
    var groupsToReport = GroupsReport(groups: [])

    func handle(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse {
        requests.append((request, peer))
        switch request {
        case .status:
            var status = StatusReport(version: "test", enabled: true, interfaces: ["lan0"], queues: [0], uptimeSeconds: 1)
            status.packets = 42
            return .status(status)
        case .groups: return .groups(groupsToReport)
        case .metrics: return .metrics(StatusReport(version: "test", enabled: false, interfaces: [], queues: [], uptimeSeconds: 0), groupsToReport)
        case .add(let s): return .done("added \(s)")
        case .del: return .refused("no such static subscriber")
        case .enable, .disable: return .done("")
        }
    }
}

func temporaryDirectory() -> String {
    var template = Array("/tmp/mut-control-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func removeTree(_ path: String) {
    // The tests create at most a nested directory and a socket or file inside it.
    for name in ["mutd.sock", "run/mutd.sock", "file", "run"] { _ = unlink(path + "/" + name); _ = rmdir(path + "/" + name) }
    _ = rmdir(path)
}

/// A blocking client socket with a safety timeout, connected to `path`.
func connectClient(_ path: String) throws -> Int32 {
    let fd = try Syscall.unixStreamSocket(nonBlocking: false)
    try Syscall.setTimeouts(fd, seconds: 5)
    try Syscall.connect(fd, path: path)
    return fd
}

func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var sent = 0
    while sent < bytes.count { sent += try Syscall.send(fd, bytes, from: sent) ?? 0 }
}

/// Everything until end of stream (or a reset after the response, see ControlClient).
func readAll(_ fd: Int32) -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while let n = try? Syscall.read(fd, into: &buffer), n > 0 { out += buffer[0..<n] }
    return out
}

/// Steps the server until it has no open connection (at most 50 polls of 100 ms).
func serve(_ server: ControlServer, _ handler: FakeHandler, minimumSteps: Int = 2) throws {
    var steps = 0
    repeat {
        try server.step(waitingAtMost: 100, handler: handler)
        steps += 1
    } while (server.connectionCount > 0 || steps < minimumSteps) && steps < 50
}

func exchange(_ server: ControlServer, _ handler: FakeHandler, _ bytes: [UInt8], closeWrite: Bool = false) throws -> ControlReply {
    let fd = try connectClient(server.configuration.path)
    defer { Syscall.close(fd) }
    try sendAll(fd, bytes)
    if closeWrite { Syscall.shutdownWrite(fd) }
    try serve(server, handler)
    let response = readAll(fd)
    #expect(response.last == UInt8(ascii: "\n"))
    return try ControlReply(bytes: Array(response.dropLast()))
}

@Suite(.serialized) struct ControlServerTests {
    @Test func answersRequestsAndPassesPeerCredentials() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let handler = FakeHandler()
        let server = try ControlServer(configuration: ControlServerConfiguration(path: dir + "/run/mutd.sock"))
        defer { server.shutdown() }

        guard case .ok(let value) = try exchange(server, handler, Array("status\n".utf8)) else {
            Issue.record("status refused")
            return
        }
        #expect(try StatusReport(json: value).packets == 42)
        #expect(handler.requests.first?.1.pid == getpid())
        #expect(handler.requests.first?.1.uid == geteuid())

        #expect(try exchange(server, handler, Array("del 239.1.1.1 10.0.0.1\n".utf8)) == .refused("no such static subscriber"))
        guard case .ok(let added) = try exchange(server, handler, Array("add 239.1.1.1 10.0.0.1 lan0\n".utf8)) else {
            Issue.record("add refused")
            return
        }
        #expect(added["message"] == .string("added 239.1.1.1,10.0.0.1,lan0"))
        #expect(server.connectionCount == 0)
    }

    @Test func socketFileHasModeAndIsRemovedOnShutdown() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/run/mutd.sock"
        let server = try ControlServer(configuration: ControlServerConfiguration(path: path))
        var st = stat()
        #expect(lstat(path, &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
        #expect(st.st_mode & 0o777 == 0o660)
        server.shutdown()
        #expect(lstat(path, &st) != 0)
    }

    @Test func rejectsGarbageOversizedAndHalfSentRequests() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let handler = FakeHandler()
        let server = try ControlServer(configuration: ControlServerConfiguration(path: dir + "/mutd.sock"))
        defer { server.shutdown() }

        #expect(try exchange(server, handler, [0x16, 0x03, 0x01, 0x02, 0x00, 0x0A])
            == .refused("request contains byte 0x16 at offset 0; only printable ASCII is allowed"))
        #expect(try exchange(server, handler, [UInt8](repeating: UInt8(ascii: "a"), count: 10000))
            == .refused("request longer than 4096 bytes"))
        #expect(try exchange(server, handler, Array("stat".utf8), closeWrite: true)
            == .refused("request ended without a newline after 4 bytes"))
        #expect(try exchange(server, handler, Array("status\nstatus\n".utf8)) == .refused("more than one request on a connection"))
        #expect(handler.requests.isEmpty)
        #expect(server.connectionCount == 0)
    }

    @Test func silentPeerGetsAnErrorAtItsDeadline() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        var configuration = ControlServerConfiguration(path: dir + "/mutd.sock")
        configuration.requestTimeout = 0  // every deadline has passed when it is checked
        let handler = FakeHandler()
        let server = try ControlServer(configuration: configuration)
        defer { server.shutdown() }
        #expect(try exchange(server, handler, Array("stat".utf8)) == .refused(
            "no complete request within 0 s; a request is one line ending in a newline"))
    }

    @Test func largeResponseIsWrittenAcrossPolls() async throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let handler = FakeHandler()
        let clients = (0..<4000).map { i in
            ClientReport(ip: .v4(IPv4Address(UInt32(0x0A00_0000 + i))), mac: MACAddress(UInt64(0x0200_0000_0000 + i)), via: "igmp",
                         igmpVersion: 3, expiresInSeconds: 200, copies: UInt64(i))
        }
        handler.groupsToReport = GroupsReport(groups: [GroupReport(interface: "wlan0", group: .v4(IPv4Address(239, 1, 1, 1)), mode: .translating, clients: clients)])
        let path = dir + "/mutd.sock"
        let server = try ControlServer(configuration: ControlServerConfiguration(path: path))
        defer { server.shutdown() }

        // The real client on another thread; the server keeps stepping here until it is done.
        let finished = Atomic<Bool>(false)
        let client = Task.detached { () -> Result<[UInt8], ControlClientError> in
            defer { finished.store(true, ordering: .releasing) }
            do throws(ControlClientError) {
                return .success(try ControlClient.exchange(.groups, socketPath: path, timeoutSeconds: 10))
            } catch {
                return .failure(error)
            }
        }
        var steps = 0
        while !finished.load(ordering: .acquiring) && steps < 200 {
            try server.step(waitingAtMost: 50, handler: handler)
            steps += 1
        }
        let bytes = try await client.value.get()
        #expect(bytes.count > 300_000)  // more than a socket buffer holds at once
        guard case .ok(let value) = try ControlReply(bytes: bytes) else {
            Issue.record("groups refused")
            return
        }
        #expect(try GroupsReport(json: value) == handler.groupsToReport)
    }

    @Test func refusesAPathWhereADaemonAnswers() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/mutd.sock"
        let first = try ControlServer(configuration: ControlServerConfiguration(path: path))
        defer { first.shutdown() }
        #expect(throws: ControlServerError.pathInUse(path)) { try ControlServer(configuration: ControlServerConfiguration(path: path)) }
        #expect(ControlServerError.pathInUse(path).description == "socket path in use: another daemon answers at \(path)")
    }

    @Test func replacesAStaleSocketButNeverAFile() throws {
        let dir = temporaryDirectory()
        defer { removeTree(dir) }
        let path = dir + "/mutd.sock"
        // A socket file nobody listens on, as a crashed daemon leaves it.
        let stale = try Syscall.unixStreamSocket(nonBlocking: false)
        try Syscall.bind(stale, path: path)
        Syscall.close(stale)
        let server = try ControlServer(configuration: ControlServerConfiguration(path: path))
        let handler = FakeHandler()
        #expect(try exchange(server, handler, Array("enable\n".utf8)) == .ok(.object([("ok", .bool(true)), ("message", .string(""))])))
        server.shutdown()

        let file = dir + "/file"
        let fd = open(file, O_CREAT | O_WRONLY, 0o600)
        close(fd)
        #expect(throws: ControlServerError.notASocket(file)) { try ControlServer(configuration: ControlServerConfiguration(path: file)) }
        #expect(access(file, F_OK) == 0)
    }

    @Test func reportsBadConfiguration() {
        let long = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: ControlServerError.pathTooLong(long)) { try ControlServer(configuration: ControlServerConfiguration(path: long)) }
        #expect(throws: ControlServerError.noSuchGroup("no-such-group-mut")) {
            try ControlServer(configuration: ControlServerConfiguration(path: "/tmp/unused.sock", groupName: "no-such-group-mut"))
        }
    }

    @Test func clientSaysWhyItCannotConnect() {
        #expect(throws: ControlClientError.unreachable(SystemError("connect", errno: ENOENT))) {
            try ControlClient.exchange(.status, socketPath: "/nonexistent/mutd.sock")
        }
        #expect(ControlClientError.unreachable(SystemError("connect", errno: ENOENT)).description == "No such file or directory")
    }
}
