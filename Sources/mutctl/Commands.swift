import ArgumentParser
import Glibc
import MUTCore
import MUTLinux

/// Exit statuses, documented in mutctl(8) (EXIT STATUS): scripts depend on them.
enum MutctlExit {
    static let done: Int32 = 0
    static let refused: Int32 = 1
    static let usage: Int32 = 2
    static let unreachable: Int32 = 3
}

/// A failure with the exit status it maps to; the message is printed after "mutctl: ".
struct MutctlFailure: Error {
    var status: Int32
    var message: String
}

struct Mutctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mutctl",
        abstract: "Inspect and steer mutd, the multicast-to-unicast daemon, over its control socket.",
        discussion: "Exit status: 0 done, 1 the daemon refused (reason on stderr), 2 usage, 3 cannot reach the daemon.",
        version: MUTVersion.string,
        subcommands: [Status.self, Groups.self, Add.self, Del.self, Enable.self, Disable.self, Metrics.self])

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        throw ValidationError("missing command: status, groups, add, del, enable, disable or metrics")
    }
}

struct ConnectionOptions: ParsableArguments {
    static let defaultSocket = "/run/mutd/mutd.sock"

    @Option(name: .long, help: ArgumentHelp("mutd's control socket.", valueName: "PATH"))
    var socket: String = ConnectionOptions.defaultSocket

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for mutd's answer.", valueName: "SECONDS"))
    var timeout: Double = 10

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    /// Sends `request`; returns the response object when mutd said ok, throws a `MutctlFailure`
    /// with the contract's exit status otherwise.
    func send(_ request: ControlRequest) throws(MutctlFailure) -> JSONValue {
        let bytes: [UInt8]
        do {
            bytes = try ControlClient.exchange(request, socketPath: socket, timeoutSeconds: timeout)
        } catch {
            switch error {
            case .unreachable: throw MutctlFailure(status: MutctlExit.unreachable, message: "cannot reach mutd at \(socket): \(error)")
            default: throw MutctlFailure(status: MutctlExit.unreachable, message: "no usable answer from mutd at \(socket): \(error)")
            }
        }
        let reply: ControlReply
        do {
            reply = try ControlReply(bytes: bytes)
        } catch {
            throw MutctlFailure(status: MutctlExit.unreachable, message: "unreadable answer from mutd at \(socket): \(error)")
        }
        switch reply {
        case .ok(let value): return value
        case .refused(let reason): throw MutctlFailure(status: MutctlExit.refused, message: "mutd refused '\(request.verb)': \(reason)")
        }
    }
}

/// The response without its "ok" member, as `--json` prints it.
func withoutOK(_ value: JSONValue) -> JSONValue {
    guard case .object(let members) = value else { return value }
    return .object(members.filter { $0.0 != "ok" })
}

func decodeFailure(_ error: ReportDecodingError, _ socket: String) -> MutctlFailure {
    MutctlFailure(status: MutctlExit.unreachable, message: "unreadable answer from mutd at \(socket): \(error)")
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whether mutd translates, and its counters.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print the daemon's JSON object.") var json = false

    func run() throws {
        let value = try connection.send(.status)
        if json { return print(withoutOK(value).serialized) }
        do {
            print(try StatusReport(json: value).table, terminator: "")
        } catch {
            throw decodeFailure(error, connection.socket)
        }
    }
}

struct Groups: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List groups per interface and their clients (like /proc/net/ip_mr_cache).")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Print {\"groups\": [...]} as JSON.") var json = false

    func run() throws {
        let value = try connection.send(.groups)
        if json { return print(withoutOK(value).serialized) }
        do {
            print(try GroupsReport(json: value).table, terminator: "")
        } catch {
            throw decodeFailure(error, connection.socket)
        }
    }
}

/// GROUP CLIENT_IP [--interface IFACE], checked here with the daemon's own rules.
struct SubscriberArguments: ParsableArguments {
    @Argument(help: "IPv4 multicast group, e.g. 239.1.2.3.") var group: String
    @Argument(help: "The client's unicast IPv4 address.") var clientIP: String
    @Option(name: .long, help: ArgumentHelp("LAN interface (default: the one mutd finds the client on).", valueName: "IFACE"))
    var interface: String?

    func subscriber(verb: String) throws -> StaticSubscriber {
        switch ControlRequestDecoder.parseSubscriber(verb: verb, [group, clientIP] + (interface.map { [$0] } ?? [])) {
        case .success(let subscriber): return subscriber
        case .failure(let error): throw ValidationError(error.message)
        }
    }
}

func printMessage(_ value: JSONValue) {
    if let message = value["message"]?.stringValue, !message.isEmpty { print(message) }
}

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a static subscriber (MRT_MUT_ADD_DST).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var subscriber: SubscriberArguments

    func validate() throws { _ = try subscriber.subscriber(verb: "add") }

    func run() throws {
        printMessage(try connection.send(.add(try subscriber.subscriber(verb: "add"))))
    }
}

struct Del: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a static subscriber (MRT_MUT_DEL_DST).")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var subscriber: SubscriberArguments

    func validate() throws { _ = try subscriber.subscriber(verb: "del") }

    func run() throws {
        printMessage(try connection.send(.del(try subscriber.subscriber(verb: "del"))))
    }
}

struct Enable: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Translate multicast to unicast (sysctl net.ipv4.mut = 1).")
    @OptionGroup var connection: ConnectionOptions
    func run() throws { printMessage(try connection.send(.enable)) }
}

struct Disable: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pass multicast through unchanged (sysctl net.ipv4.mut = 0).")
    @OptionGroup var connection: ConnectionOptions
    func run() throws { printMessage(try connection.send(.disable)) }
}

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print counters in the Prometheus text exposition format.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let value = try connection.send(.metrics)
        guard let text = value["exposition"]?.stringValue else {
            throw MutctlFailure(status: MutctlExit.unreachable, message: "unreadable answer from mutd at \(connection.socket): no \"exposition\"")
        }
        print(text, terminator: "")
    }
}
