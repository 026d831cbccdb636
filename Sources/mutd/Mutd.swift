import ArgumentParser
import MUTCore
import MUTLinux
#if canImport(Glibc)
import Glibc
#endif

@main
struct Mutd: ParsableCommand {
    static let version = MUTVersion.string

    static let configuration = CommandConfiguration(
        commandName: "mutd",
        abstract: "Multicast-to-unicast translator: sends each subscribed Wi-Fi client its own unicast copy of forwarded multicast.",
        version: version)

    @Option(name: .customLong("interface"), help: "LAN interface to serve (repeatable).")
    var interfaces: [String] = []

    @Option(name: .customLong("bridge-port"), help: "Port of a bridge given as --interface: translate what the bridge forwards out of it (repeatable).")
    var bridgePorts: [String] = []

    @Option(help: "NFQUEUE number N or range N-M (default 0).")
    var queue: String?

    @Option(help: "Control socket path (default \(DaemonConfig.defaultSocketPath)).")
    var socket: String?

    @Option(name: .customLong("socket-group"), help: "Group of the control socket; its members may change state.")
    var socketGroup: String?

    @Option(help: "Configuration file (mutd.conf(5)); SIGHUP reloads it.")
    var config: String?

    @Option(name: .customLong("max-clients"), help: "Per (interface, group): above this many members, plain multicast.")
    var maxClients: Int?

    @Option(name: .customLong("static"), help: "Static subscriber GROUP,CLIENT_IP[,IFACE] (repeatable).")
    var staticSubscribers: [String] = []

    @Flag(help: "Start in pass-through mode (no copies).")
    var disabled = false

    @Option(name: .customLong("log-level"), help: "error, warning, info or debug (default info).")
    var logLevel: String?

    @Flag(help: "Send IGMP and MLD queries on interfaces where no other querier is heard.")
    var querier = false

    @Option(name: .customLong("querier-version"), help: "IGMP version of mutd's queries: 2 or 3 (default 3).")
    var querierVersion: String?

    @Option(name: .customLong("igmp-robustness"), help: "IGMP robustness variable until a querier says otherwise (default 2).")
    var igmpRobustness: String?

    @Option(name: .customLong("igmp-query-interval"), help: "IGMP query interval in seconds (default 125).")
    var igmpQueryInterval: String?

    @Option(name: .customLong("igmp-query-response-interval"), help: "IGMP max response time of general queries, seconds (default 10).")
    var igmpQueryResponseInterval: String?

    @Option(name: .customLong("igmp-last-member-interval"), help: "Max response time of mutd's group-specific and per-host queries, seconds (default 1).")
    var igmpLastMemberInterval: String?

    @Option(name: .customLong("max-groups"), help: "Most (interface, group) pairs IGMP may add (default 256).")
    var maxGroups: String?

    @Option(name: .customLong("max-members-per-group"), help: "Most hosts per (interface, group) IGMP may add (default 64).")
    var maxMembersPerGroup: String?

    @Option(name: .customLong("state-file"), help: "Where learned state is kept across restarts (default: mutd.state beside the socket).")
    var stateFile: String?

    @Option(name: .customLong("max-entries"), help: "Most (interface, group, host) entries IGMP may add (default 2048).")
    var maxEntries: String?

    @Option(name: .customLong("station-poll-interval"), help: "Seconds between samples of the Wi-Fi stations' radio links (nl80211), 0 = off (default 2).")
    var stationPollInterval: String?

    @Option(help: "Airtime decision per (radio, group): yes (default) or no (copies whatever the rates).")
    var airtime: String?

    @Option(name: .customLong("airtime-multicast-rate"), help: "Rate of group frames on the Wi-Fi radio, Mbit/s (default 1).")
    var airtimeMulticastRate: String?

    @Option(name: .customLong("airtime-switch-factor"), help: "Plain multicast once copies cost more than this times one multicast frame (default 1.25).")
    var airtimeSwitchFactor: String?

    @Option(name: .customLong("airtime-return-factor"), help: "Copies again once they cost less than this times one multicast frame (default 0.8).")
    var airtimeReturnFactor: String?

    @Option(name: .customLong("airtime-min-dwell"), help: "Seconds after a switch before copies come back (default 30).")
    var airtimeMinDwell: String?

    @Option(help: "After opening its sockets, run as this user keeping only CAP_NET_ADMIN and CAP_NET_RAW.")
    var user: String?

    @Option(name: .customLong("metrics-listen"), help: "Serve Prometheus metrics over HTTP at ADDR:PORT/metrics (e.g. 127.0.0.1:9101 or [::1]:9101; default off).")
    var metricsListen: String?

    @Flag(name: .customLong("metrics-per-client"), help: "Add per-client series (copies, Wi-Fi radio) to the metrics, for at most 512 clients.")
    var metricsPerClient = false

    /// The command line in the config file's shape, so both combine the same way (and again on SIGHUP).
    func flagSettings() throws(ConfigError) -> ConfigFile {
        var flags = ConfigFile()
        flags.interfaces = interfaces
        flags.bridgePorts = bridgePorts
        flags.queue = queue
        flags.socket = socket
        flags.socketGroup = socketGroup
        flags.maxClients = maxClients
        flags.staticSubscribers = try staticSubscribers.map { text throws(ConfigError) in try StaticSubscriber(parsing: text) }
        flags.disabled = disabled ? true : nil
        flags.logLevel = logLevel
        let extra: [(String, String?)] = [
            ("querier", querier ? "yes" : nil), ("querier-version", querierVersion),
            ("igmp-robustness", igmpRobustness), ("igmp-query-interval", igmpQueryInterval),
            ("igmp-query-response-interval", igmpQueryResponseInterval),
            ("igmp-last-member-interval", igmpLastMemberInterval), ("max-groups", maxGroups),
            ("max-members-per-group", maxMembersPerGroup), ("max-entries", maxEntries),
            ("state-file", stateFile), ("user", user), ("station-poll-interval", stationPollInterval),
            ("metrics-listen", metricsListen), ("metrics-per-client", metricsPerClient ? "yes" : nil),
            ("airtime", airtime),
            ("airtime-multicast-rate", airtimeMulticastRate), ("airtime-switch-factor", airtimeSwitchFactor),
            ("airtime-return-factor", airtimeReturnFactor), ("airtime-min-dwell", airtimeMinDwell),
        ]
        for case let (key, value?) in extra { flags.extra[key] = value }
        return flags
    }

    mutating func run() throws {
        var log = Log(level: .info)
        let loaded: LoadedConfig
        do {
            loaded = try LoadedConfig.load(path: config, flags: flagSettings())
        } catch {
            log.error(error.description)
            throw ExitCode(2)
        }
        log.level = loaded.logLevel
        // The user is looked up before any socket is opened, so a typo fails first and plainly.
        var account: Privileges.Account?
        if let user = loaded.settings.extra["user"] {
            do { account = try Privileges.account(named: user) } catch {
                log.error(error.description)
                throw ExitCode(1)
            }
        }
        do {
            let daemon = try Daemon(loaded: loaded, log: log)
            try daemon.run(droppingTo: account)
        } catch {
            log.error(error.description)
            throw ExitCode(1)
        }
    }
}

/// A configuration as mutd uses it: the combined settings, plus what it needs to reload them.
struct LoadedConfig {
    var config: DaemonConfig
    var settings: ConfigFile
    var logLevel: LogLevel
    let path: String?
    let flags: ConfigFile

    static func load(path: String?, flags: ConfigFile) throws(ConfigError) -> LoadedConfig {
        var file: ConfigFile?
        if let path {
            guard let text = Syscall.readTextFile(path) else {
                throw .invalid("cannot read config file \(path)")
            }
            file = try ConfigFile.parse(text, name: path)
        }
        let (config, settings) = try DaemonConfig.combining(file: file, flags: flags)
        guard let level = LogLevel(name: settings.logLevel ?? "info") else {
            throw .invalid("log level '\(settings.logLevel ?? "")': expected error, warning, info or debug")
        }
        return LoadedConfig(config: config, settings: settings, logLevel: level, path: path, flags: flags)
    }
}
