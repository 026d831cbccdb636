/// What mutd was asked to do, from flags (and, later, a config file). Validated as a whole so
/// that each mistake gets one line naming it.
public struct DaemonConfig: Equatable, Sendable {
    public var interfaces: [String]
    /// Ports of a served bridge (`--bridge-port`): what the bridge forwards out of them is
    /// translated and the copies leave by the port itself.
    public var bridgePorts: [String] = []
    public var queues: [UInt16]
    public var staticSubscribers: [StaticSubscriber]
    public var maxClients: Int?
    public var enabled: Bool
    public var socketPath: String
    /// The control socket's group: its members may change state (root always may).
    public var socketGroup: String?
    /// IGMP snooping: timers until a querier says otherwise, and the table's bounds.
    public var membership = MembershipTableConfig()
    /// Send queries where no other querier is heard (`--querier`), and which version.
    public var querier = false
    public var querierVersion = 3
    /// Query IGMPv1/v2 members one by one (a general query in a frame to the host's own MAC)
    /// beside another querier too, so that report suppression hides nobody.
    public var perHostQueries = true
    /// Seconds between samples of the Wi-Fi stations' radio links (nl80211 GET_STATION); 0 = off.
    public var stationPollInterval = 2.0
    /// The HTTP `/metrics` endpoint and per-client series (`--metrics-listen`, `--metrics-per-client`).
    public var metrics = MetricsSettings()
    /// Per (radio, group): copies while they cost less airtime than one multicast frame.
    public var airtime = AirtimeConfig()
    /// Where learned state is saved for a hitless restart; beside the socket by default.
    public var stateFile: String {
        get { explicitStateFile ?? Self.defaultStateFile(socketPath: socketPath) }
        set { explicitStateFile = newValue }
    }
    private var explicitStateFile: String?

    public static func defaultStateFile(socketPath: String) -> String {
        guard let slash = socketPath.lastIndex(of: "/") else { return "mutd.state" }
        return String(socketPath[...slash]) + "mutd.state"
    }

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
        for name in bridgePorts {
            guard InterfaceName.isValid(name) else { throw .invalid("bridge port '\(name)' is not a valid interface name") }
            guard !interfaces.contains(name) else {
                throw .invalid("\(name) is given both as --interface and as --bridge-port: name the bridge as --interface and its Wi-Fi port as --bridge-port")
            }
        }
        if let maxClients, maxClients < 1 { throw .invalid("--max-clients \(maxClients): must be at least 1") }
        var result = self
        result.staticSubscribers = []
        var seen: Set<StaticSubscriber> = []
        for entry in staticSubscribers {
            let resolved: StaticSubscriber
            do { resolved = try servedInterface(for: entry) } catch {
                throw .invalid("static subscriber '\(entry)': \(error.description)")
            }
            if seen.insert(resolved).inserted { result.staticSubscribers.append(resolved) }
        }
        return result
    }

    /// The one rule for a static subscriber's interface (config, flags and `mutctl add` alike):
    /// the one named must be served; none named is fine only when one interface is served.
    public func servedInterface(for entry: StaticSubscriber) throws(ConfigError) -> StaticSubscriber {
        var resolved = entry
        if let name = entry.interface {
            guard interfaces.contains(name) else {
                throw .invalid("interface \(name) is not served by mutd (it serves \(interfaces.joined(separator: ", ")))")
            }
        } else if interfaces.count == 1 {
            resolved.interface = interfaces[0]
        } else {
            throw .invalid("mutd serves several interfaces (\(interfaces.joined(separator: ", "))): name one")
        }
        return resolved
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
        for name in base.bridgePorts + flags.bridgePorts where !merged.bridgePorts.contains(name) {
            merged.bridgePorts.append(name)
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
        config.bridgePorts = merged.bridgePorts
        try config.applyIGMPSettings(merged.extra)
        config.metrics = try MetricsSettings(extra: merged.extra)
        try config.applyAirtimeSettings(merged.extra)
        return (try config.validated(), merged)
    }
}

extension DaemonConfig {
    /// The IGMP keys of the config file and their flags (`--igmp-query-interval` ...).
    mutating func applyIGMPSettings(_ extra: [String: String]) throws(ConfigError) {
        func number(_ key: String, _ range: ClosedRange<Double>) throws(ConfigError) -> Double? {
            guard let text = extra[key] else { return nil }
            guard let value = Double(text), range.contains(value) else {
                throw .invalid("\(key) '\(text)': expected a number from \(range.lowerBound.plainDescription) to \(range.upperBound.plainDescription)")
            }
            return value
        }
        if let v = try number("igmp-robustness", 1...7) { membership.defaultTimers.robustness = Int(v) }
        if let v = try number("igmp-query-interval", 1...3600) { membership.defaultTimers.queryInterval = v }
        if let v = try number("igmp-query-response-interval", 0.1...25) { membership.defaultTimers.queryResponseInterval = v }
        if let v = try number("igmp-last-member-interval", 0.1...25) { membership.defaultTimers.lastMemberQueryInterval = v }
        guard membership.defaultTimers.queryResponseInterval < membership.defaultTimers.queryInterval else {
            throw .invalid("igmp-query-response-interval must be shorter than igmp-query-interval")
        }
        if let v = try number("max-groups", 1...1_000_000) { membership.limits.maxGroups = Int(v) }
        if let v = try number("max-members-per-group", 1...1_000_000) { membership.limits.maxHostsPerGroup = Int(v) }
        if let v = try number("max-entries", 1...10_000_000) { membership.limits.maxEntries = Int(v) }
        if let text = extra["querier"] {
            guard let flag = ConfigFile.parseBool(text) else { throw .invalid("querier '\(text)': expected yes or no") }
            querier = flag
        }
        if let v = try number("querier-version", 2...3) { querierVersion = Int(v) }
        if let text = extra["per-host-queries"] {
            guard let flag = ConfigFile.parseBool(text) else { throw .invalid("per-host-queries '\(text)': expected yes or no") }
            perHostQueries = flag
        }
        if let v = try number("station-poll-interval", 0...3600) { stationPollInterval = v }
        if let path = extra["state-file"] {
            guard path.hasPrefix("/") else { throw .invalid("state-file '\(path)': expected an absolute path") }
            stateFile = path
        }
    }
}

extension Double {
    /// "125" rather than "125.0" in messages.
    public var plainDescription: String { self == rounded() ? String(Int(self)) : String(self) }
}
