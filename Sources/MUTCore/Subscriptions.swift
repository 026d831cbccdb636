/// How a member came to be in the table.
public enum MembershipOrigin: Hashable, Sendable {
    case staticEntry
    /// Learned from IGMP: the host's compatibility version and when the membership expires
    /// (seconds on the daemon's monotonic clock).
    case igmp(version: Int, expiresAt: Double)

    public var via: String {
        switch self {
        case .staticEntry: return "static"
        case .igmp: return "igmp"
        }
    }
}

/// One host's wish to receive one group on one interface, as the control plane knows it.
public struct Membership: Hashable, Sendable {
    public var interface: String
    public var group: IPAddress
    public var host: IPAddress
    /// The host's MAC when known (from its own IGMP or MLD frames or the neighbour table).
    public var mac: MACAddress?
    public var filter: SourceFilter
    public var origin: MembershipOrigin

    public init(interface: String, group: IPAddress, host: IPAddress, mac: MACAddress? = nil,
                filter: SourceFilter = .anySource, origin: MembershipOrigin = .staticEntry) {
        self.interface = interface
        self.group = group
        self.host = host
        self.mac = mac
        self.filter = filter
        self.origin = origin
    }

    public init(interface: String, group: IPv4Address, host: IPv4Address, mac: MACAddress? = nil,
                filter: SourceFilter = .anySource, origin: MembershipOrigin = .staticEntry) {
        self.init(interface: interface, group: .v4(group), host: .v4(host), mac: mac, filter: filter, origin: origin)
    }
}

/// A `--static GROUP,CLIENT_IP[,IFACE]` argument.
public struct StaticSubscriber: Hashable, Sendable, CustomStringConvertible {
    /// Both of one family.
    public var group: IPAddress
    public var client: IPAddress
    public var interface: String?

    public init(group: IPAddress, client: IPAddress, interface: String? = nil) {
        self.group = group
        self.client = client
        self.interface = interface
    }

    public init(group: IPv4Address, client: IPv4Address, interface: String? = nil) {
        self.init(group: .v4(group), client: .v4(client), interface: interface)
    }

    /// Parses "GROUP,CLIENT_IP[,IFACE]"; the error names the part that is wrong.
    public init(parsing text: String) throws(ConfigError) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3 else {
            throw .invalid("static subscriber '\(text)': expected GROUP,CLIENT_IP[,IFACE]")
        }
        switch Self.validated(group: parts[0], client: parts[1], interface: parts.count == 3 ? parts[2] : nil) {
        case .success(let subscriber): self = subscriber
        case .failure(let problem): throw .invalid("static subscriber '\(text)': \(problem)")
        }
    }

    /// The one set of rules for a subscriber, wherever it comes from (`--static`, the config
    /// file, the state file, `mutctl add`/`del`): the subscriber, or what is wrong with it in
    /// words the caller prefixes. `shown` shortens the input it echoes.
    public static func validated(group groupText: String, client clientText: String, interface: String?,
                                 shown: (String) -> String = { $0 }) -> Result<StaticSubscriber, ConfigError> {
        let badInterface = interface.flatMap { InterfaceName.isValid($0) ? nil : ConfigError.invalid("'\(shown($0))' is not a valid interface name") }
        // An IPv6 group (it has colons) takes an IPv6 client; anything else reads as IPv4.
        if groupText.contains(":") {
            guard let group = IPv6Address(groupText), group.isMulticast else {
                return .failure(.invalid("'\(shown(groupText))' is not an IPv6 multicast group"))
            }
            guard !group.isLinkScopeMulticast else {
                return .failure(.invalid("\(group) is link-scope (ff02::/16 or narrower) and never translated"))
            }
            guard let client = IPv6Address(clientText), !client.isMulticast, client != .unspecified else {
                return .failure(.invalid("'\(shown(clientText))' is not a unicast IPv6 address"))
            }
            if let badInterface { return .failure(badInterface) }
            return .success(StaticSubscriber(group: .v6(group), client: .v6(client), interface: interface))
        }
        guard let group = IPv4Address(groupText), group.isMulticast else {
            return .failure(.invalid("'\(shown(groupText))' is not an IPv4 multicast group"))
        }
        guard !group.isLinkLocalMulticast else {
            return .failure(.invalid("\(group) is link-local (224.0.0.0/24) and never translated"))
        }
        guard let client = IPv4Address(clientText), !client.isMulticast, client.value != 0, client.value != .max else {
            return .failure(.invalid("'\(shown(clientText))' is not a unicast IPv4 address"))
        }
        if let badInterface { return .failure(badInterface) }
        return .success(StaticSubscriber(group: .v4(group), client: .v4(client), interface: interface))
    }

    public var description: String {
        "\(group),\(client)" + (interface.map { ",\($0)" } ?? "")
    }
}

public enum InterfaceName {
    /// Linux rules: 1 to 15 bytes, no '/', ':' or whitespace, not "." or "..".
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...15).contains(bytes.count), name != ".", name != ".." else { return false }
        return !bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 >= 0x7F }
    }
}

/// A configuration or argument the daemon cannot accept; the message is one line for the user.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let message): return message }
    }
}
