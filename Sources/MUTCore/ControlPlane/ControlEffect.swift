/// How much a log line matters; the daemon prints those at or above its `--log-level`.
public enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case error, warning, info, debug

    public init?(name: String) {
        switch name.lowercased() {
        case "error": self = .error
        case "warning", "warn": self = .warning
        case "info", "notice": self = .info
        case "debug", "trace": self = .debug
        default: return nil
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What the control plane asks its shell to do. The shell carries effects out in order and
/// feeds the outcome back only as new events (a neighbour reply, a frame heard).
public enum ControlEffect: Equatable, Sendable {
    /// Build and publish the data plane's table from these memberships (the only trigger of a
    /// rebuild: one per effective change).
    case publishTable(TableInputs)
    /// Send a whole Ethernet frame (an IGMP query) out of `interface`.
    case sendFrame(interface: String, frame: [UInt8], kind: QueryKind)
    /// Ask the kernel to resolve `address` on `interface` (ARP).
    case resolveNeighbour(interface: String, address: IPAddress)
    /// Write the state file (atomically) with this content.
    case saveState(SavedState)
    case log(LogLevel, String)
}

/// Which query a frame is, for the log line of a failed send.
public enum QueryKind: String, Equatable, Sendable {
    case general = "query"
    case perHost = "per-host query"
    case groupSpecific = "group query"
}

/// Everything `ForwardingTable.build` needs besides the interfaces and the previous snapshot.
public struct TableInputs: Equatable, Sendable {
    public var enabled: Bool
    public var maxClients: Int?
    public var memberships: [Membership]
    /// Bridged mode: which bridge port (and VLAN) each host sits behind.
    public var portLocations: PortLocations
    /// Per group, the stations whose radio sends it as plain multicast (the airtime decision).
    public var multicastStations: [IPAddress: Set<MACAddress>]

    public init(enabled: Bool, maxClients: Int?, memberships: [Membership], portLocations: PortLocations = PortLocations(),
                multicastStations: [IPAddress: Set<MACAddress>] = [:]) {
        self.enabled = enabled
        self.maxClients = maxClients
        self.memberships = memberships
        self.portLocations = portLocations
        self.multicastStations = multicastStations
    }
}

/// Which way a snooped frame went on the interface.
public enum FrameDirection: Sendable {
    /// From a host on the link.
    case incoming
    /// Sent by this host (another program than mutd: igmpproxy, the bridge's querier).
    case outgoing
}
