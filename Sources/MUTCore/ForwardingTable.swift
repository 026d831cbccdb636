/// A LAN interface mutd serves.
public struct InterfaceInfo: Hashable, Sendable {
    public var name: String
    public var index: Int32
    public var mac: MACAddress

    public init(name: String, index: Int32, mac: MACAddress) {
        self.name = name
        self.index = index
        self.mac = mac
    }
}

public struct RouteKey: Hashable, Sendable {
    public var interfaceIndex: Int32
    public var group: IPAddress
    public init(interfaceIndex: Int32, group: IPAddress) {
        self.interfaceIndex = interfaceIndex
        self.group = group
    }
}

/// One member of a group route as the data plane sees it.
public struct RouteMember: Sendable {
    public let host: IPAddress
    public let mac: MACAddress?
    public let filter: SourceFilter
    public let counters: MemberCounters
    /// The 802.1Q VLAN its copies carry (bridge ports only; nil: untagged).
    public var vlanID: UInt16? = nil
}

/// What the data plane does with one queued packet.
public enum Verdict: Equatable, Sendable {
    /// Send one copy to each member whose filter admits the source (possibly none), DROP the original.
    case translate
    /// ACCEPT the original unchanged and send no copies.
    case pass(PassReason)
}

/// Everything the data plane needs for one (interface, group). Immutable.
public final class GroupRoute: @unchecked Sendable {
    public let interface: InterfaceInfo
    public let group: IPAddress
    public let members: [RouteMember]
    public let overLimit: Bool
    /// The airtime decision sends this group as plain multicast on a radio one of the members is on.
    public let multicastCheaper: Bool
    public let counters: GroupCounters
    /// For a bridge port's route: the served interface its members were learned on (`interface`
    /// is then the port the copies leave by). nil for a routed interface's route.
    public let bridge: String?
    /// Ethernet headers, one per member in `members` order, `headerStride` bytes apart (zeroes
    /// where the MAC is unknown), in memory that lives as long as this route, so that iovecs can
    /// point at it: 14 bytes, or 18 with an 802.1Q tag.
    public let headers: UnsafeMutableRawPointer
    public static let headerStride = Ethernet.taggedHeaderLength
    private let headerLengths: [Int]

    init(interface: InterfaceInfo, group: IPAddress, members: [RouteMember], overLimit: Bool, counters: GroupCounters,
         bridge: String? = nil, multicastCheaper: Bool = false) {
        self.interface = interface
        self.group = group
        self.members = members
        self.overLimit = overLimit
        self.multicastCheaper = multicastCheaper
        self.counters = counters
        self.bridge = bridge
        headers = UnsafeMutableRawPointer.allocate(byteCount: max(1, members.count) * Self.headerStride, alignment: 8)
        headers.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, members.count) * Self.headerStride)
        var lengths: [Int] = []
        for (i, member) in members.enumerated() {
            lengths.append(member.vlanID == nil ? Ethernet.headerLength : Ethernet.taggedHeaderLength)
            if let mac = member.mac {
                Ethernet.writeHeader(to: headers + i * Self.headerStride, destination: mac, source: interface.mac,
                                     etherType: group.isIPv6 ? Ethernet.typeIPv6 : Ethernet.typeIPv4, vlanID: member.vlanID)
            }
        }
        headerLengths = lengths
    }

    deinit { headers.deallocate() }

    /// The verdict policy for a packet from `source`: copies + DROP only when every
    /// member that wants this source has a known unicast MAC, the group is within max-clients and
    /// the airtime decision keeps copies.
    @inline(__always)
    public func verdict(source: IPAddress) -> Verdict {
        if overLimit { return .pass(.overLimit) }
        if multicastCheaper { return .pass(.airtime) }
        for member in members where member.mac == nil {
            if member.filter.admits(source) { return .pass(.unknownMAC) }
        }
        return .translate
    }

    public func header(at index: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(headers + index * Self.headerStride)
    }

    /// The length of member `index`'s header: 14, or 18 with a VLAN tag.
    @inline(__always)
    public func headerLength(at index: Int) -> Int { headerLengths[index] }
}

/// An immutable snapshot of who gets copies of what: built by the control plane, read by the
/// data plane without locks, replaced as a whole when anything changes (read-copy-update).
public final class ForwardingTable: Sendable {
    public let enabled: Bool
    public let routes: [RouteKey: GroupRoute]
    public let interfaces: [InterfaceInfo]

    public init(enabled: Bool, interfaces: [InterfaceInfo], routes: [RouteKey: GroupRoute]) {
        self.enabled = enabled
        self.interfaces = interfaces
        self.routes = routes
    }

    public static func empty(enabled: Bool = true) -> ForwardingTable {
        ForwardingTable(enabled: enabled, interfaces: [], routes: [:])
    }

    /// The decision for one packet leaving `interfaceIndex`; the route is returned for its copies
    /// and counters (nil when no member is known there). A packet a bridge forwards carries the
    /// bridge port it leaves by (`physicalOutput`, 0 for a routed packet): it is looked up there
    /// only, so that what leaves other ports of the bridge stays plain multicast.
    @inline(__always)
    public func decide(interfaceIndex: Int32, physicalOutput: Int32 = 0, packet: IPv4Summary) -> (Verdict, GroupRoute?) {
        decide(interfaceIndex: interfaceIndex, physicalOutput: physicalOutput, source: .v4(packet.source),
               destination: .v4(packet.destination))
    }

    /// The same decision for a packet of either family.
    @inline(__always)
    public func decide(interfaceIndex: Int32, physicalOutput: Int32 = 0, source: IPAddress, destination: IPAddress)
        -> (Verdict, GroupRoute?) {
        let outgoing = physicalOutput != 0 ? physicalOutput : interfaceIndex
        guard let route = routes[RouteKey(interfaceIndex: outgoing, group: destination)] else {
            return (enabled ? .pass(.noMembers) : .pass(.disabled), nil)
        }
        guard enabled else { return (.pass(.disabled), route) }
        return (route.verdict(source: source), route)
    }

    /// Builds the next snapshot from the control plane's memberships. Counters of routes and
    /// members that already existed in `previous` are carried over. Each bridge port gets its own
    /// routes: the members of its served interfaces that were heard behind it (`locations`).
    public static func build(
        enabled: Bool, maxClients: Int?, interfaces: [InterfaceInfo], memberships: [Membership],
        previous: ForwardingTable?, bridgePorts: [BridgePort] = [], locations: PortLocations = PortLocations(),
        multicastStations: [IPAddress: Set<MACAddress>] = [:]
    ) -> ForwardingTable {
        let byName = Dictionary(interfaces.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var grouped: [RouteKey: (interface: InterfaceInfo, bridge: String?, list: [Membership])] = [:]
        for membership in memberships {
            guard let interface = byName[membership.interface] else { continue }
            grouped[RouteKey(interfaceIndex: interface.index, group: membership.group), default: (interface, nil, [])].list.append(membership)
        }
        for port in bridgePorts {
            for membership in memberships where port.servedInterfaces.contains(membership.interface) {
                guard let mac = membership.mac, locations[mac]?.portIndex == port.port.index else { continue }
                let key = RouteKey(interfaceIndex: port.port.index, group: membership.group)
                grouped[key, default: (port.port, membership.interface, [])].list.append(membership)
            }
        }
        var routes: [RouteKey: GroupRoute] = [:]
        for (key, entry) in grouped {
            let old = previous?.routes[key]
            // One member per host: a static entry and an IGMP entry for the same host merge,
            // the union of what they admit (static admits all).
            var byHost: [IPAddress: Membership] = [:]
            for m in entry.list {
                if var existing = byHost[m.host] {
                    if existing.mac == nil { existing.mac = m.mac }
                    if m.origin == .staticEntry || existing.origin == .staticEntry { existing.filter = .anySource }
                    byHost[m.host] = existing
                } else {
                    byHost[m.host] = m
                }
            }
            // And one member per MAC: a host can be a member under two addresses (an IPv6 host's
            // MLD reports come from its link-local address, its static entry names a global one;
            // an IPv4 alias), and two copies to one MAC would reach its sockets twice. The lowest
            // address stays, admitting what either admits.
            var hostAtMAC: [MACAddress: IPAddress] = [:]
            for m in byHost.values.sorted(by: { $0.host < $1.host }) {
                guard let mac = m.mac, mac.isUnicast else { continue }
                if let kept = hostAtMAC[mac], var merged = byHost[kept] {
                    merged.filter = merged.filter.union(m.filter)
                    byHost[kept] = merged
                    byHost[m.host] = nil
                } else {
                    hostAtMAC[mac] = m.host
                }
            }
            var oldCounters: [IPAddress: MemberCounters] = [:]
            for member in old?.members ?? [] { oldCounters[member.host] = member.counters }
            let members = byHost.values.sorted { $0.host < $1.host }.map { m in
                let mac = m.mac.flatMap { $0.isUnicast ? $0 : nil }
                return RouteMember(
                    host: m.host, mac: mac, filter: m.filter, counters: oldCounters[m.host] ?? MemberCounters(),
                    vlanID: entry.bridge == nil ? nil : mac.flatMap { locations[$0]?.vlanID })
            }
            let overLimit = maxClients.map { members.count > $0 } ?? false
            let cheaper = multicastStations[key.group].map { stations in
                members.contains { $0.mac.map(stations.contains) ?? false }
            } ?? false
            routes[key] = GroupRoute(
                interface: entry.interface, group: key.group, members: members, overLimit: overLimit,
                counters: old?.counters ?? GroupCounters(), bridge: entry.bridge, multicastCheaper: cheaper)
        }
        return ForwardingTable(enabled: enabled, interfaces: interfaces, routes: routes)
    }
}
