/// An interface mutd serves, as the control plane needs it: its name and kernel index (for
/// neighbour messages), its MAC, IPv4 address and IPv6 link-local address (the sources of
/// mutd's IGMP and MLD queries; nil when it has none, and mutd then cannot query there).
public struct ServedInterface: Equatable, Sendable {
    public var name: String
    public var index: Int32
    public var mac: MACAddress
    public var address: IPv4Address?
    public var linkLocal: IPv6Address?

    public init(name: String, index: Int32, mac: MACAddress, address: IPv4Address?, linkLocal: IPv6Address? = nil) {
        self.name = name
        self.index = index
        self.mac = mac
        self.address = address
        self.linkLocal = linkLocal
    }
}

/// A membership as the data plane sees it: no timers, so a refresh changes nothing here.
struct ForwardingEntry: Equatable {
    var interface: String
    var group: IPAddress
    var host: IPAddress
    var mac: MACAddress?
    var filter: SourceFilter

    init(_ m: Membership) {
        interface = m.interface
        group = m.group
        host = m.host
        mac = m.mac
        filter = m.filter
    }
}

/// Everything mutd decides outside the packet path, with no I/O (sans-I/O, like quinn-proto or
/// h11): who is a member (IGMP and static), who the querier is and when mutd queries, which MAC
/// a host has and when to ask the kernel again, when the forwarding table changes, and what to
/// save. Events go in through the mutating methods, with the time; effects come out through
/// `takeEffects()`, and the daemon carries them out. The clock is whatever the caller passes.
public struct ControlPlane {
    public internal(set) var config: DaemonConfig
    public let interfaces: [ServedInterface]
    /// Bridged mode: the named ports (`--bridge-port`) and where hosts sit behind them.
    public let bridgePorts: [BridgePort]
    public internal(set) var portLocations = PortLocations()
    /// IGMP memberships (IPv4).
    public internal(set) var table: MembershipTable
    /// MLD memberships (IPv6): the same table, its own queriers, timers and limits.
    public internal(set) var mldTable: MembershipTable
    var neighbours = NeighbourCache()
    var queriers: [String: OwnQuerier] = [:]
    var mldQueriers: [String: OwnQuerier] = [:]
    /// Static subscribers added with `mutctl add` since start: a reload keeps them.
    public private(set) var runtimeStatics: [StaticSubscriber] = []
    /// Every membership with the MAC copies go to: what the table was last built from.
    public private(set) var memberships: [Membership] = []
    public internal(set) var queriesSent: UInt64 = 0
    public internal(set) var perHostQueriesSent: UInt64 = 0
    public internal(set) var mldQueriesSent: UInt64 = 0
    public internal(set) var mldPerHostQueriesSent: UInt64 = 0
    /// Station events heard from the access point, and stations that left, since start.
    public internal(set) var stationEvents: UInt64 = 0
    public internal(set) var stationsLeft: UInt64 = 0
    /// Stations that left, so that one coming back is recognised (bounded: cleared on return).
    var departedStations: Set<MACAddress> = []
    /// Memberships that ended lately, and why (see `recentlyEnded`).
    var ended: [(key: MembershipKey, why: EndedMembership.Why, at: Double)] = []
    /// Stations that associated, to be asked again for their groups (see `station`).
    var stationQueries: [(mac: MACAddress, interface: String, at: Double)] = []
    /// The latest radio sample of each Wi-Fi station, by MAC (see `stationRadios`).
    public internal(set) var radios: [MACAddress: StationRadio] = [:]
    /// Per (radio, group): copies or plain multicast, by airtime (see `AirtimeDecisions`).
    public internal(set) var airtime: AirtimeDecisions
    /// New radio samples since the last decision.
    var airtimeDue = false
    /// Tables published since start (one per effective change).
    public private(set) var publications = 0
    var effects: [ControlEffect] = []
    private var lastPublished: [ForwardingEntry]?
    var membershipsChanged = true
    var tableIsStale = false
    let bootIDForSnapshot: String
    var lastSavedState: SavedState?
    var lastSaveTime = -Double.infinity
    private var refusedSinceLog: UInt64 = 0
    private var lastRefusalLog = -Double.infinity

    /// How often refreshed timers are written even when nothing else changed.
    public static let saveInterval = 30.0
    /// Refused memberships are summarised at most this often: never one log line per report.
    public static let refusalLogInterval = 10.0

    public init(config: DaemonConfig, interfaces: [ServedInterface], bridgePorts: [BridgePort] = [], bootID: String) {
        self.config = config
        self.interfaces = interfaces
        self.bridgePorts = bridgePorts
        bootIDForSnapshot = bootID
        table = MembershipTable(config: config.membership)
        mldTable = MembershipTable(config: config.membership)
        airtime = AirtimeDecisions(config: config.airtime)
        for link in interfaces {
            if config.querier && link.address == nil {
                effects.append(.log(.warning, "\(link.name) has no IPv4 address: mutd cannot be the IGMP querier there"))
            }
            if config.querier && link.linkLocal == nil {
                effects.append(.log(.warning, "\(link.name) has no IPv6 link-local address: mutd cannot be the MLD querier there"))
            }
            for family in QueryFamily.allCases {
                var querier = OwnQuerier(startupQueriesLeft: config.membership.defaultTimers.robustness)
                if link.querierAddress(family) == nil || !config.querier { querier.nextQueryAt = .infinity }
                setOwnQuerier(family, link.name, querier)
            }
        }
    }

    /// What to carry out, in order; the list is emptied.
    public mutating func takeEffects() -> [ControlEffect] {
        defer { effects = [] }
        return effects
    }

    // MARK: Events

    /// The first turn: memberships saved by the previous run (the state file's text, if any) are
    /// put back, so copies resume without waiting for reports; then the first table.
    public mutating func start(savedState text: String?, now: Double) {
        if let text { restore(text, now: now) }
        settle(now: now)
    }

    /// A snooped IGMP frame. Frames this host sent (`.outgoing`) matter only as queries: another
    /// program on the router may be the link's querier. Its own reports are not a client's.
    public mutating func heard(frame: UnsafeRawBufferPointer, interface: String, direction: FrameDirection, now: Double) {
        if Self.carriesIPv6(frame) {
            heardMLD(frame: frame, interface: interface, direction: direction, now: now)
            return
        }
        let packet: IGMPPacket
        do { packet = try IGMPPacket.parse(frame: frame) } catch {
            if direction == .incoming { record(table.handle(frame: frame, interface: interface, now: now)) }
            settle(now: now)
            return
        }
        let ownAddress = link(interface)?.address
        if case .query = packet.message {
            let origin: QuerierOrigin = direction == .outgoing || packet.senderIP == ownAddress ? .thisHost : .otherHost
            record(table.handle(packet.message, interface: interface, hostMAC: packet.senderMAC,
                                hostIP: packet.senderIP, now: now, querierOrigin: origin))
            stepBackIfOutranked(interface: interface)
        } else if direction == .incoming {
            record(table.handle(packet.message, interface: interface, hostMAC: packet.senderMAC,
                                hostIP: packet.senderIP, now: now))
        }
        settle(now: now)
    }

    /// A neighbour message from the kernel (rtnetlink).
    public mutating func neighbour(_ event: NeighbourEvent, now: Double) {
        guard let name = interfaces.first(where: { $0.index == event.interfaceIndex })?.name else { return }
        let key = NeighbourKey(interface: name, address: event.address)
        if neighbours.kernelSaid(key, mac: event.mac, failed: event.isFailed, isMember: isMember(key), log: &effects) {
            membershipsChanged = true
        }
        settle(now: now)
    }

    /// Timers: expiry, due queries, resolution retries, the periodic save.
    public mutating func tick(now: Double) {
        record(table.expire(now: now))
        record(mldTable.expire(now: now))
        expirePortLocations(now: now)
        sendDueQueries(now: now)
        askDueStations(now: now)
        if refusedSinceLog > 0 && now - lastRefusalLog >= Self.refusalLogInterval {
            let limits = table.config.limits
            effects.append(.log(.warning, "IGMP: refused \(refusedSinceLog) new membership(s) in the last \(Int(Self.refusalLogInterval)) s (limits: \(limits.maxGroups) groups, \(limits.maxHostsPerGroup) hosts per group, \(limits.maxEntries) entries)"))
            refusedSinceLog = 0
            lastRefusalLog = now
        }
        settle(now: now)
        effects += neighbours.dueResolutions(now: now)
        if now - lastSaveTime >= Self.saveInterval { save(now: now, force: false) }
    }

    /// The earliest time `tick` has work to do.
    public func nextDeadline() -> Double? {
        var deadlines = [table.nextDeadline(), mldTable.nextDeadline(), neighbours.nextResolutionAt, lastSaveTime + Self.saveInterval].compactMap { $0 }
        deadlines += queriers.values.flatMap(\.deadlines) + mldQueriers.values.flatMap(\.deadlines)
        deadlines += stationQueries.map(\.at)
        return deadlines.min()
    }

    /// A request that changes state (`enable`, `disable`, `add`, `del`); reports are read from
    /// the accessors. `uid` is the peer's, for the log.
    public mutating func request(_ request: ControlRequest, uid: UInt32, now: Double) -> ControlResponse {
        defer { settle(now: now) }
        switch request {
        case .status, .groups, .metrics:
            return .refused("\(request.verb) is a report, not a change")
        case .enable, .disable:
            let enable = request == .enable
            let changed = config.enabled != enable
            config.enabled = enable
            if changed {
                tableIsStale = true
                effects.append(.log(.info, "translation \(enable ? "enabled" : "disabled") by uid \(uid)"))
            }
            return .done("translation \(enable ? "enabled" : "disabled")\(changed ? "" : " (it already was)")")
        case .add(let entry), .del(let entry):
            let resolved: StaticSubscriber
            do { resolved = try config.servedInterface(for: entry) } catch {
                return .refused(error.description)
            }
            membershipsChanged = true
            if case .add = request {
                if config.staticSubscribers.contains(resolved) { return .done("\(resolved) is already a static subscriber") }
                config.staticSubscribers.append(resolved)
                runtimeStatics.append(resolved)
                effects.append(.log(.info, "static subscriber \(resolved) added by uid \(uid)"))
                return .done("added static subscriber \(resolved)")
            }
            guard let index = config.staticSubscribers.firstIndex(of: resolved) else {
                return .refused("no static subscriber \(resolved)")
            }
            config.staticSubscribers.remove(at: index)
            runtimeStatics.removeAll { $0 == resolved }
            effects.append(.log(.info, "static subscriber \(resolved) removed by uid \(uid)"))
            return .done("removed static subscriber \(resolved)")
        }
    }

    /// SIGHUP: a new configuration. Learned state and `mutctl add` entries are kept; settings
    /// that need new sockets (interfaces, queues, socket) take effect at the next start.
    public mutating func reload(_ next: DaemonConfig, from path: String, now: Double) {
        if next.interfaces != config.interfaces || next.bridgePorts != config.bridgePorts || next.queues != config.queues
            || next.socketPath != config.socketPath || next.socketGroup != config.socketGroup {
            effects.append(.log(.warning, "SIGHUP: interface, queue and socket changes take effect at the next start"))
        }
        config.maxClients = next.maxClients
        config.enabled = next.enabled
        config.staticSubscribers = next.staticSubscribers
        for entry in runtimeStatics where !config.staticSubscribers.contains(entry) {
            config.staticSubscribers.append(entry)
        }
        config.membership = next.membership
        if next.querier != config.querier {
            for link in interfaces {
                for family in QueryFamily.allCases where link.querierAddress(family) != nil {
                    guard var state = ownQuerier(family, link.name) else { continue }
                    state.active = false
                    state.nextQueryAt = next.querier ? now : .infinity
                    setOwnQuerier(family, link.name, state)
                }
            }
        }
        config.querier = next.querier
        config.querierVersion = next.querierVersion
        config.perHostQueries = next.perHostQueries
        config.airtime = next.airtime
        airtime.config = next.airtime
        airtimeDue = true
        table.reconfigure(next.membership)
        mldTable.reconfigure(next.membership)
        tableIsStale = true
        membershipsChanged = true
        effects.append(.log(.info, "SIGHUP: reloaded \(path): \(config.staticSubscribers.count) static subscriber(s), max-clients \(config.maxClients.map(String.init) ?? "none"), translation \(config.enabled ? "on" : "off")"))
        settle(now: now)
    }

    // MARK: The one decision of when the table changes

    /// Rebuilds the membership list when an event may have changed it, and publishes a table
    /// only when what the data plane sees changed (or the mode did).
    mutating func settle(now: Double) {
        stampEnded(now: now)
        guard membershipsChanged || tableIsStale || airtimeDue else { return }
        membershipsChanged = false
        memberships = composeMemberships()
        if decideAirtime(now: now) { tableIsStale = true }
        let forwarding = memberships.map(ForwardingEntry.init)
        guard forwarding != lastPublished || tableIsStale else { return }
        tableIsStale = false
        lastPublished = forwarding
        neighbours.track(memberships, now: now, log: &effects)
        neighbours.keepPending(only: Set(memberships.map { NeighbourKey(interface: $0.interface, address: $0.host) }))
        effects.append(.publishTable(TableInputs(enabled: config.enabled, maxClients: config.maxClients, memberships: memberships,
                                                 portLocations: portLocations, multicastStations: airtime.multicastStations)))
        publications += 1
        save(now: now, force: true)
    }

    /// Runs the airtime decision over the current members; true when a (radio, group) switched
    /// or one that was multicast went away, so that the table must be rebuilt.
    private mutating func decideAirtime(now: Double) -> Bool {
        airtimeDue = false
        let before = airtime.multicastStations
        let members = memberships.compactMap { m in m.mac.map { (group: m.group, mac: $0) } }
        for (key, state) in airtime.decide(members: members, radios: radios, now: now) {
            let rule = state.mode == .multicast
                ? "> \(airtime.config.switchFactor.plainDescription) ×" : "< \(airtime.config.returnFactor.plainDescription) ×"
            effects.append(.log(.info, "airtime: \(key.group) on radio \(key.apInterfaceIndex) now \(state.mode.rawValue): \(state.stations) station(s) cost \(Int(state.unicastMicros.rounded())) µs per packet as copies, \(rule) \(Int(state.multicastMicros.rounded())) µs as one multicast frame"))
        }
        return airtime.multicastStations != before
    }

    /// Static subscribers and IGMP memberships, each with the MAC last heard for its host.
    private func composeMemberships() -> [Membership] {
        var result: [Membership] = []
        for entry in config.staticSubscribers {
            guard let name = entry.interface else { continue }
            result.append(Membership(interface: name, group: entry.group, host: entry.client))
        }
        result += table.memberships
        result += mldTable.memberships
        for i in result.indices {
            let key = NeighbourKey(interface: result[i].interface, address: result[i].host)
            result[i].mac = neighbours.failed.contains(key) ? nil : (neighbours.macs[key] ?? result[i].mac)
        }
        return result
    }

    mutating func addStatic(_ entry: StaticSubscriber) {
        config.staticSubscribers.append(entry)
        membershipsChanged = true
    }

    mutating func appendRuntimeStatic(_ entry: StaticSubscriber) { runtimeStatics.append(entry) }

    func isMember(_ key: NeighbourKey) -> Bool {
        memberships.contains { $0.host == key.address && $0.interface == key.interface }
    }

    func link(_ name: String) -> ServedInterface? { interfaces.first { $0.name == name } }

    // MARK: Membership actions

    /// Takes what the table did: the MACs it tells, whether the table may change, log lines.
    mutating func record(_ actions: [MembershipAction], quiet: Bool = false) {
        for action in actions {
            if action.changesForwarding { membershipsChanged = true }
            switch action {
            case .joined(let key, let mac, let filter, let version):
                neighbours.hostSpoke(NeighbourKey(interface: key.interface, address: key.host), mac: mac)
                if !quiet { effects.append(.log(.info, "\(key.protocolName): \(key.host) (\(mac)) joined \(key.group) on \(key.interface), \(key.protocolName)v\(key.group.isIPv6 ? version - 1 : version), \(filter)")) }
            case .macChanged(let key, let mac):
                neighbours.hostSpoke(NeighbourKey(interface: key.interface, address: key.host), mac: mac)
                effects.append(.log(.info, "\(key.protocolName): \(key.host) in \(key.group) on \(key.interface) moved to MAC \(mac)"))
            case .refreshed(let key):
                if neighbours.failed.contains(NeighbourKey(interface: key.interface, address: key.host)) { membershipsChanged = true }
                neighbours.hostSpoke(NeighbourKey(interface: key.interface, address: key.host), mac: nil)
            case .left(let key):
                effects.append(.log(.info, "\(key.protocolName): \(key.host) left \(key.group) on \(key.interface)"))
                remember(key, ended: .left)
                queueLeaveQueries(for: key)
            case .expired(let key):
                effects.append(.log(.info, "\(key.protocolName): \(key.host) expired from \(key.group) on \(key.interface) (no report for one membership interval)"))
                remember(key, ended: .expired)
            case .departed(let key):
                effects.append(.log(.info, "\(key.protocolName): \(key.host) left \(key.group) on \(key.interface) with its Wi-Fi station (disassociated)"))
                remember(key, ended: .stationLeft)
            case .filterChanged(let key, let filter):
                effects.append(.log(.info, "\(key.protocolName): \(key.host) now wants \(filter) of \(key.group) on \(key.interface)"))
            case .refused:
                refusedSinceLog &+= 1
            case .querierHeard(let interface, let address, let version, let timers):
                let origin = (address.isIPv6 ? mldTable : table).querier(interface: interface)?.origin ?? .otherHost
                effects.append(.log(.info, "\(address.isIPv6 ? "MLD" : "IGMP") querier \(address) (v\(version), \(origin.rawValue)) on \(interface): robustness \(timers.robustness), query interval \(timers.queryInterval.plainDescription) s, max response \(timers.queryResponseInterval.plainDescription) s"))
            case .querierLost(let interface, let address):
                effects.append(.log(.info, "\(address.isIPv6 ? "MLD" : "IGMP") querier \(address) on \(interface) went silent"))
            case .discarded:
                break
            }
        }
    }
}
