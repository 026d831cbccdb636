import ArgumentParser
import MUTCore
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

    @Option(help: "NFQUEUE number N or range N-M.")
    var queue: String = "0"

    @Option(help: "Control socket path.")
    var socket: String = DaemonConfig.defaultSocketPath

    @Option(name: .customLong("socket-group"), help: "Group of the control socket; its members may change state.")
    var socketGroup: String?

    @Option(name: .customLong("max-clients"), help: "Per (interface, group): above this many members, plain multicast.")
    var maxClients: Int?

    @Option(name: .customLong("static"), help: "Static subscriber GROUP,CLIENT_IP[,IFACE] (repeatable).")
    var staticSubscribers: [String] = []

    @Flag(help: "Start in pass-through mode (no copies).")
    var disabled = false

    @Option(name: .customLong("log-level"), help: "error, warning, info or debug.")
    var logLevel: String = "info"

    mutating func run() throws {
        guard let level = LogLevel(name: logLevel) else {
            throw ValidationError("--log-level '\(logLevel)': expected error, warning, info or debug")
        }
        let log = Log(level: level)
        var config: DaemonConfig
        do {
            config = try DaemonConfig(
                interfaces: interfaces, queues: DaemonConfig.parseQueues(queue),
                staticSubscribers: staticSubscribers.map { text throws(ConfigError) in try StaticSubscriber(parsing: text) },
                maxClients: maxClients, enabled: !disabled, socketPath: socket
            ).validated()
            config.socketGroup = socketGroup
        } catch {
            log.error(error.description)
            throw ExitCode(2)
        }
        do {
            let daemon = try Daemon(config: config, log: log)
            try daemon.run()
        } catch {
            log.error(error.description)
            throw ExitCode(1)
        }
    }
}
