/// One command sent to mutd over the control socket. The wire form is one line of printable
/// ASCII words ended by "\n" (see docs/control-protocol.md).
public enum ControlRequest: Equatable, Sendable, CustomStringConvertible {
    case status
    case groups
    case metrics
    case enable
    case disable
    /// A static subscriber; `interface` nil lets the daemon pick the LAN interface.
    case add(StaticSubscriber)
    case del(StaticSubscriber)

    /// Commands that change the daemon's state; only root and the socket's group may send them.
    public var changesState: Bool {
        switch self {
        case .status, .groups, .metrics: return false
        case .enable, .disable, .add, .del: return true
        }
    }

    public var verb: String {
        switch self {
        case .status: return "status"
        case .groups: return "groups"
        case .metrics: return "metrics"
        case .enable: return "enable"
        case .disable: return "disable"
        case .add: return "add"
        case .del: return "del"
        }
    }

    /// The request line without its newline, e.g. "add 239.1.2.3 192.168.1.10 wlan0".
    public var description: String {
        switch self {
        case .add(let s), .del(let s):
            return "\(verb) \(s.group) \(s.client)" + (s.interface.map { " \($0)" } ?? "")
        default:
            return verb
        }
    }

    /// The bytes a client sends.
    public var wireBytes: [UInt8] { Array((description + "\n").utf8) }
}

/// Why a request was rejected; the message is one line naming the bad input, sent back to the
/// peer as `{"ok":false,"error":...}`.
public struct ControlRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the decoder has made of the bytes so far.
public enum ControlDecodeResult: Equatable, Sendable {
    case needMore
    case request(ControlRequest)
    case error(ControlRequestError)
}

/// Turns the bytes of one connection into one request. Feed it whatever `read` returned, one
/// byte or a whole buffer at a time; it never traps and never grows beyond `maximumLength`.
/// Once it has answered `.request` or `.error` it keeps giving that answer.
public struct ControlRequestDecoder: Sendable {
    /// The hard limit on a request line, newline included.
    public static let defaultMaximumLength = 4096

    public let maximumLength: Int
    private var line: [UInt8] = []
    private var outcome: ControlDecodeResult = .needMore

    public init(maximumLength: Int = defaultMaximumLength) {
        self.maximumLength = maximumLength
        line.reserveCapacity(64)
    }

    /// The result so far, without feeding anything.
    public var result: ControlDecodeResult { outcome }

    public mutating func feed(_ chunk: some Sequence<UInt8>) -> ControlDecodeResult {
        guard outcome == .needMore else {
            // One request per connection: anything after a complete request is an error.
            if case .request = outcome, chunk.contains(where: { _ in true }) {
                outcome = .error(ControlRequestError("more than one request on a connection"))
            }
            return outcome
        }
        var iterator = chunk.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "\n") {
                outcome = ControlRequestDecoder.parse(line: line)
                if case .request = outcome, iterator.next() != nil {
                    outcome = .error(ControlRequestError("more than one request on a connection"))
                }
                line = []
                return outcome
            }
            guard line.count + 1 < maximumLength else {
                outcome = .error(ControlRequestError("request longer than \(maximumLength) bytes"))
                line = []
                return outcome
            }
            line.append(byte)
        }
        return outcome
    }

    /// The peer closed its side: a request without its newline is half-sent.
    public mutating func finish() -> ControlDecodeResult {
        if outcome == .needMore {
            outcome = .error(ControlRequestError(
                line.isEmpty ? "connection closed before a request was sent"
                    : "request ended without a newline after \(line.count) bytes"))
        }
        return outcome
    }

    /// Parses one request line (without "\n"; a trailing "\r" is tolerated).
    public static func parse(line rawLine: [UInt8]) -> ControlDecodeResult {
        var bytes = rawLine[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        for (i, b) in bytes.enumerated() where !(0x20...0x7E).contains(b) && b != 0x09 {
            return .error(ControlRequestError("request contains byte 0x\(hexByte(b)) at offset \(i); only printable ASCII is allowed"))
        }
        let words = bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map { String(decoding: $0, as: UTF8.self) }
        guard let verb = words.first else { return .error(ControlRequestError("empty request")) }
        let arguments = Array(words.dropFirst())
        func noArguments(_ request: ControlRequest) -> ControlDecodeResult {
            arguments.isEmpty ? .request(request)
                : .error(ControlRequestError("\(verb) takes no arguments, got '\(arguments.joined(separator: " "))'"))
        }
        switch verb {
        case "status": return noArguments(.status)
        case "groups": return noArguments(.groups)
        case "metrics": return noArguments(.metrics)
        case "enable": return noArguments(.enable)
        case "disable": return noArguments(.disable)
        case "add", "del":
            switch parseSubscriber(verb: verb, arguments) {
            case .success(let subscriber): return .request(verb == "add" ? .add(subscriber) : .del(subscriber))
            case .failure(let error): return .error(error)
            }
        default:
            let shown = verb.count > 32 ? String(verb.prefix(32)) + "..." : verb
            return .error(ControlRequestError(
                "unknown command '\(shown)'; expected status, groups, add, del, enable, disable or metrics"))
        }
    }

    /// Validates GROUP CLIENT_IP [IFACE] with the same rules as `--static`.
    public static func parseSubscriber(verb: String, _ arguments: [String]) -> Result<StaticSubscriber, ControlRequestError> {
        guard arguments.count == 2 || arguments.count == 3 else {
            return .failure(ControlRequestError("\(verb) expects GROUP CLIENT_IP [IFACE], got \(arguments.count) argument\(arguments.count == 1 ? "" : "s")"))
        }
        return StaticSubscriber.validated(group: arguments[0], client: arguments[1],
                                          interface: arguments.count == 3 ? arguments[2] : nil, shown: clip)
            .mapError { problem in ControlRequestError("\(verb): \(problem)") }
    }

    private static func clip(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "..." : text
    }

    private static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }
}
