/// What mutd was asked to do, from flags (and, later, a config file). Validated as a whole so
/// that each mistake gets one line naming it.
public struct DaemonConfig: Equatable, Sendable {
    public var interfaces: [String]
    public var queues: [UInt16]
    public var staticSubscribers: [StaticSubscriber]
    public var maxClients: Int?
    public var enabled: Bool
    public var socketPath: String
    /// The control socket's group: its members may change state (root always may).
    public var socketGroup: String?

    public static let defaultSocketPath = "/run/mutd/mutd.sock"

    public init(interfaces: [String], queues: [UInt16] = [0], staticSubscribers: [StaticSubscriber] = [],
                maxClients: Int? = nil, enabled: Bool = true, socketPath: String = DaemonConfig.defaultSocketPath) {
        self.interfaces = interfaces
        self.queues = queues
        self.staticSubscribers = staticSubscribers
        self.maxClients = maxClients
        self.enabled = enabled
        self.socketPath = socketPath
    }

    /// Parses "N" or "N-M" (at most 64 queues, numbers 0...65535).
    public static func parseQueues(_ text: String) throws(ConfigError) -> [UInt16] {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              let first = UInt16(parts[0]), let last = parts.count == 2 ? UInt16(parts[1]) : first else {
            throw .invalid("queue '\(text)': expected a number N or a range N-M (0-65535)")
        }
        guard first <= last else { throw .invalid("queue '\(text)': range start is above its end") }
        guard Int(last) - Int(first) < 64 else { throw .invalid("queue '\(text)': at most 64 queues") }
        return Array(first...last)
    }

    /// Checks the whole configuration and gives every static subscriber its interface.
    public func validated() throws(ConfigError) -> DaemonConfig {
        guard !interfaces.isEmpty else { throw .invalid("no --interface given: name the LAN interface(s) to serve") }
        for name in interfaces where !InterfaceName.isValid(name) {
            throw .invalid("interface '\(name)' is not a valid interface name")
        }
        if Set(interfaces).count != interfaces.count { throw .invalid("an --interface is given twice") }
        if let maxClients, maxClients < 1 { throw .invalid("--max-clients \(maxClients): must be at least 1") }
        var result = self
        result.staticSubscribers = []
        for var entry in staticSubscribers {
            if let name = entry.interface {
                guard interfaces.contains(name) else {
                    throw .invalid("static subscriber '\(entry)': interface \(name) is not one of --interface \(interfaces.joined(separator: ", "))")
                }
            } else if interfaces.count == 1 {
                entry.interface = interfaces[0]
            } else {
                throw .invalid("static subscriber '\(entry)': several interfaces are served, name one (GROUP,CLIENT_IP,IFACE)")
            }
            if !result.staticSubscribers.contains(entry) { result.staticSubscribers.append(entry) }
        }
        return result
    }
}

extension DaemonConfig {
    /// The configuration from a config file (may be nil) and the command line, both in the file's
    /// shape: repeatable settings add up (file first), a scalar given on the command line wins.
    public static func combining(file: ConfigFile?, flags: ConfigFile) throws(ConfigError) -> (DaemonConfig, ConfigFile) {
        let base = file ?? ConfigFile()
        var merged = ConfigFile()
        for name in base.interfaces + flags.interfaces where !merged.interfaces.contains(name) {
            merged.interfaces.append(name)
        }
        merged.staticSubscribers = base.staticSubscribers + flags.staticSubscribers
        merged.queue = flags.queue ?? base.queue
        merged.socket = flags.socket ?? base.socket
        merged.socketGroup = flags.socketGroup ?? base.socketGroup
        merged.maxClients = flags.maxClients ?? base.maxClients
        merged.disabled = flags.disabled ?? base.disabled
        merged.logLevel = flags.logLevel ?? base.logLevel
        merged.extra = base.extra.merging(flags.extra) { _, flag in flag }
        var config = DaemonConfig(
            interfaces: merged.interfaces, queues: try parseQueues(merged.queue ?? "0"),
            staticSubscribers: merged.staticSubscribers, maxClients: merged.maxClients,
            enabled: !(merged.disabled ?? false), socketPath: merged.socket ?? defaultSocketPath)
        config.socketGroup = merged.socketGroup
        return (try config.validated(), merged)
    }
}
