import ArgumentParser
import MUTCore
import MUTLinux
#if canImport(Glibc)
import Glibc
#endif

@main
struct Mutd: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "mutd",
        abstract: "Multicast-to-unicast translator: sends each subscribed Wi-Fi client its own unicast copy of forwarded multicast.",
        version: version)

    @Option(name: .customLong("interface"), help: "LAN interface to serve (repeatable).")
    var interfaces: [String] = []

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

    /// The command line in the config file's shape, so both combine the same way (and again on SIGHUP).
    func flagSettings() throws(ConfigError) -> ConfigFile {
        var flags = ConfigFile()
        flags.interfaces = interfaces
        flags.queue = queue
        flags.socket = socket
        flags.socketGroup = socketGroup
        flags.maxClients = maxClients
        flags.staticSubscribers = try staticSubscribers.map { text throws(ConfigError) in try StaticSubscriber(parsing: text) }
        flags.disabled = disabled ? true : nil
        flags.logLevel = logLevel
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
        do {
            let daemon = try Daemon(loaded: loaded, log: log)
            try daemon.run()
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
