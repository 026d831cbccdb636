/// The `--config FILE` format (mutd.conf(5)): one `key = value` per line, `#` starts a comment,
/// keys are the long flag names without dashes; repeatable keys may appear several times.
/// Parsing names the line of every mistake.
public struct ConfigFile: Equatable, Sendable {
    public var interfaces: [String] = []
    /// Bridge ports whose bridged multicast is translated (`bridge-port`, repeatable).
    public var bridgePorts: [String] = []
    public var queue: String?
    public var socket: String?
    public var socketGroup: String?
    public var maxClients: Int?
    public var staticSubscribers: [StaticSubscriber] = []
    public var disabled: Bool?
    public var logLevel: String?
    /// Settings of later subsystems, by key, for their own validation (IGMP timers, limits ...).
    public var extra: [String: String] = [:]

    public static let repeatableKeys: Set<String> = ["interface", "static", "bridge-port"]
    public static let scalarKeys: Set<String> = ["queue", "socket", "socket-group", "max-clients", "disabled", "log-level"]
    /// Keys other parts of the daemon accept; set by them so that unknown keys are still refused.
    public static let extraKeys: Set<String> = Set<String>([
        "querier", "igmp-robustness", "igmp-query-interval", "igmp-query-response-interval",
        "igmp-last-member-interval", "max-groups", "max-members-per-group", "max-entries", "state-file", "user",
        "querier-version", "per-host-queries", "station-poll-interval",
        "metrics-listen", "metrics-per-client",
    ]).union(DaemonConfig.airtimeKeys)

    public init() {}

    public static func parse(_ text: String, name: String = "config") throws(ConfigError) -> ConfigFile {
        var file = ConfigFile()
        var seen: Set<String> = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "\(name) line \(number + 1)"
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .invalid("\(where_): expected 'key = value', got '\(trimmed)'")
            }
            let key = String(trimmed[..<equals].trimmingSpaces)
            let value = String(trimmed[trimmed.index(after: equals)...].trimmingSpaces)
            guard !value.isEmpty else { throw .invalid("\(where_): '\(key)' has no value") }
            if scalarKeys.contains(key) || extraKeys.contains(key) {
                guard seen.insert(key).inserted else { throw .invalid("\(where_): '\(key)' is given twice") }
            }
            switch key {
            case "interface": file.interfaces.append(value)
            case "bridge-port": file.bridgePorts.append(value)
            case "static":
                do { file.staticSubscribers.append(try StaticSubscriber(parsing: value)) } catch {
                    throw .invalid("\(where_): \(error.description)")
                }
            case "queue": file.queue = value
            case "socket": file.socket = value
            case "socket-group": file.socketGroup = value
            case "max-clients":
                guard let n = Int(value), n >= 1 else { throw .invalid("\(where_): max-clients '\(value)' is not a number ≥ 1") }
                file.maxClients = n
            case "disabled":
                guard let flag = parseBool(value) else { throw .invalid("\(where_): disabled '\(value)' is not yes/no") }
                file.disabled = flag
            case "log-level": file.logLevel = value
            default:
                guard extraKeys.contains(key) else { throw .invalid("\(where_): unknown key '\(key)'") }
                file.extra[key] = value
            }
        }
        return file
    }

    public static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: return nil
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" || first == "\r" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s.removeLast() }
        return s
    }
}
