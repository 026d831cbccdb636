/// mutd as the IGMP or MLD querier of a link (`--querier`): when it queries, and its per-host
/// and last-member queries. Who the link's querier is lives in one place, the membership table's
/// querier record; this is only mutd's own schedule. Each link has one per family.
struct OwnQuerier {
    var nextQueryAt = 0.0
    /// RFC 3376 8.6/8.7: `robustness` startup queries a quarter interval apart.
    var startupQueriesLeft: Int
    var active = false
    var lastGeneralQueryAt = -Double.infinity
    var nextPerHostAt = 0.0
    /// Which host of the link gets the next per-host query.
    var perHostCursor = 0
    /// Groups a host left: group-specific queries still to send (RFC 2236 section 3).
    var leaveQueries: [LeaveQuery] = []

    struct LeaveQuery {
        var group: IPAddress
        var remaining: Int
        var nextAt: Double
    }

    /// Sending per-host queries now: as the querier, or beside another one.
    var probing = false

    var deadlines: [Double] {
        [nextQueryAt] + (probing ? [nextPerHostAt] : []) + (active ? leaveQueries.map(\.nextAt) : [])
    }

    /// The gap between two per-host queries: longer than their response time, so that no two
    /// hosts of a group have a report timer running at once.
    static let perHostGap = 0.25
}

/// The two querier protocols mutd speaks: IGMP for IPv4, MLD (RFC 3810) for IPv6.
enum QueryFamily: CaseIterable {
    case igmp, mld

    var name: String { self == .igmp ? "IGMP" : "MLD" }
}

extension ServedInterface {
    /// The source of mutd's queries of a family: the IPv4 address, or the IPv6 link-local one.
    func querierAddress(_ family: QueryFamily) -> IPAddress? {
        switch family {
        case .igmp: address.map(IPAddress.v4)
        case .mld: linkLocal.map(IPAddress.v6)
        }
    }
}

extension ControlPlane {
    func membershipTable(_ family: QueryFamily) -> MembershipTable { family == .igmp ? table : mldTable }

    func ownQuerier(_ family: QueryFamily, _ interface: String) -> OwnQuerier? {
        family == .igmp ? queriers[interface] : mldQueriers[interface]
    }

    mutating func setOwnQuerier(_ family: QueryFamily, _ interface: String, _ state: OwnQuerier) {
        if family == .igmp { queriers[interface] = state } else { mldQueriers[interface] = state }
    }

    /// The link's querier when it is not mutd and wins the election against `own` (RFC 3376
    /// 6.6.2, RFC 3810 7.6.2: lowest address; a program on this host with our own address wins
    /// too, so that mutd never doubles igmpproxy's queries).
    func outranking(_ own: IPAddress, family: QueryFamily, interface: String, now: Double) -> QuerierRecord? {
        guard let record = membershipTable(family).querier(interface: interface), record.presentUntil > now,
              record.origin != .mutd, record.address <= own else { return nil }
        return record
    }

    /// A query was heard: mutd stops querying where the sender wins the election.
    mutating func stepBackIfOutranked(interface: String, family: QueryFamily = .igmp) {
        guard config.querier, var state = ownQuerier(family, interface), state.active,
              let own = link(interface)?.querierAddress(family),
              let record = membershipTable(family).querier(interface: interface), record.origin != .mutd, record.address <= own else { return }
        state.active = false
        state.nextQueryAt = record.presentUntil
        state.leaveQueries = []
        setOwnQuerier(family, interface, state)
        let why = record.address == own ? "is another program on this host" : "has a lower address than ours (\(own))"
        effects.append(.log(.info, "\(family.name) querier \(record.address) on \(interface) \(why): mutd stops querying there"))
    }

    mutating func sendDueQueries(now: Double) {
        for family in QueryFamily.allCases {
            for link in interfaces { sendDueQueries(family, link: link, now: now) }
        }
    }

    private mutating func sendDueQueries(_ family: QueryFamily, link: ServedInterface, now: Double) {
        guard let own = link.querierAddress(family), var state = ownQuerier(family, link.name) else { return }
        let timers = config.membership.defaultTimers
        if config.querier && state.nextQueryAt <= now {
            if let other = outranking(own, family: family, interface: link.name, now: now) {
                state.active = false
                state.nextQueryAt = other.presentUntil
            } else {
                if !state.active {
                    state.active = true
                    let version = family == .igmp ? "IGMPv\(config.querierVersion)" : "MLDv2"
                    effects.append(.log(.info, "\(family.name) querier on \(link.name): mutd queries as \(own) (\(version), every \(timers.queryInterval.plainDescription) s)"))
                }
                let frame = queryFrame(family, link: link, own: own, version: ownVersion(family))
                send(frame, on: link.name, kind: .general)
                state.lastGeneralQueryAt = now
                // mutd does not hear its own frames: its query goes into the querier record
                // as heard, so the link's timers run. Parsed back, so one encoder says it all.
                heardOwnQuery(frame, family: family, link: link, own: own, now: now)
                if state.startupQueriesLeft > 1 {
                    state.startupQueriesLeft -= 1
                    state.nextQueryAt = now + timers.queryInterval / 4
                } else {
                    state.startupQueriesLeft = 0
                    state.nextQueryAt = now + timers.queryInterval
                }
            }
        }
        let beside = besideOtherQuerier(family, interface: link.name, now: now)
        let wasProbing = state.probing
        state.probing = state.active || (config.perHostQueries && beside != nil)
        if state.probing && !wasProbing { state.nextPerHostAt = now }
        if state.active {
            sendPerHostQuery(family, link: link, own: own, state: &state, now: now, version: ownVersion(family),
                             generalQueryWindow: (state.lastGeneralQueryAt, state.nextQueryAt))
            sendLeaveQueries(family, link: link, own: own, state: &state, now: now)
        } else if state.probing, let beside {
            // In the querier's own version, so that no host changes its compatibility mode.
            sendPerHostQuery(family, link: link, own: own, state: &state, now: now,
                             version: family == .igmp ? max(2, beside.version) : beside.version,
                             generalQueryWindow: (beside.last, beside.next))
        }
        setOwnQuerier(family, link.name, state)
    }

    /// The version mutd queries in: `--querier-version` for IGMP, always 2 for MLD.
    private func ownVersion(_ family: QueryFamily) -> Int { family == .igmp ? config.querierVersion : 2 }

    func queryFrame(_ family: QueryFamily, group: IPAddress? = nil, link: ServedInterface, own: IPAddress, version: Int,
                            destinationMAC: MACAddress? = nil, maxResponseTime: Double? = nil) -> [UInt8] {
        let timers = config.membership.defaultTimers
        switch own {
        case .v4(let source):
            return IGMPQueryFrame.build(version: version, group: group?.v4 ?? IPv4Address(0), sourceMAC: link.mac, sourceIP: source,
                                        destinationMAC: destinationMAC, timers: timers, maxResponseTime: maxResponseTime)
        case .v6(let source):
            return MLDQueryFrame.build(version: version, group: group?.v6 ?? .unspecified, sourceMAC: link.mac, sourceIP: source,
                                       destinationMAC: destinationMAC, timers: timers, maxResponseTime: maxResponseTime)
        }
    }

    private mutating func heardOwnQuery(_ frame: [UInt8], family: QueryFamily, link: ServedInterface, own: IPAddress, now: Double) {
        switch family {
        case .igmp:
            if let packet = try? frame.withUnsafeBytes({ bytes throws(ParseError) in try IGMPPacket.parse(frame: bytes) }) {
                record(table.handle(packet.message, interface: link.name, hostMAC: link.mac, hostIP: own.v4!, now: now, querierOrigin: .mutd))
            }
        case .mld:
            if let packet = try? frame.withUnsafeBytes({ bytes throws(ParseError) in try MLDPacket.parse(frame: bytes) }) {
                record(mldTable.handle(packet.message, interface: link.name, hostMAC: link.mac, hostIP: packet.senderIP,
                                       now: now, querierOrigin: .mutd))
            }
        }
    }

    /// When the link's querier (not mutd) last queried and is expected to query next, while one
    /// is present.
    private func besideOtherQuerier(_ family: QueryFamily, interface: String, now: Double) -> (last: Double, next: Double, version: Int)? {
        let table = membershipTable(family)
        guard let record = table.querier(interface: interface), record.origin != .mutd, record.presentUntil > now else { return nil }
        let timers = table.timers(interface: interface)
        let heardAt = record.presentUntil - timers.otherQuerierPresentInterval
        return (heardAt, heardAt + timers.queryInterval, record.version)
    }

    /// Against IGMPv2 / MLDv1 report suppression on a shared medium: a host that hears another
    /// host's report for a group keeps quiet, so only one member of a group may be heard. Each
    /// host that could be such a silent member (an IGMPv1/v2 or MLDv1 member, or any other
    /// neighbour on the link, whose join report may itself have been suppressed) also gets a
    /// general query in a frame to its own unicast MAC, one host at a time, spaced by more than
    /// the response time: the queried host is then the only one with report timers running.
    /// IGMPv3 and MLDv2 members are left out (no suppression). This runs beside another querier
    /// too (another host, or igmpproxy on this router): its general queries alone would let
    /// suppressed members expire. The round stays clear of the general query's response window;
    /// N hosts take N × (last member interval + 0.25 s).
    private mutating func sendPerHostQuery(_ family: QueryFamily, link: ServedInterface, own: IPAddress, state: inout OwnQuerier,
                                           now: Double, version: Int, generalQueryWindow window: (last: Double, next: Double)) {
        guard state.nextPerHostAt <= now else { return }
        let timers = config.membership.defaultTimers
        let responseInterval = membershipTable(family).timers(interface: link.name).queryResponseInterval
        let response = min(timers.lastMemberQueryInterval, responseInterval)
        let generalWindowEnds = window.last + responseInterval + OwnQuerier.perHostGap
        if now < generalWindowEnds {
            state.nextPerHostAt = generalWindowEnds
            return
        }
        if window.next - now < response + OwnQuerier.perHostGap && window.next > now {
            state.nextPerHostAt = window.next + responseInterval + OwnQuerier.perHostGap
            return
        }
        var candidates: [IPAddress: MACAddress] = [:]
        var answersGeneralQueries: Set<IPAddress> = []
        // The table keeps MLD hosts in IGMP compatibility versions: 2 is MLDv1, 3 MLDv2.
        for m in membershipTable(family).memberships where m.interface == link.name {
            guard case .igmp(let version, _) = m.origin, let mac = m.mac else { continue }
            if version <= 2 { candidates[m.host] = mac } else { answersGeneralQueries.insert(m.host) }
        }
        let queriedMACs = Set(candidates.values)
        for (host, mac) in neighbours.reachable(on: link.name) {
            guard host.isIPv6 == (family == .mld), candidates[host] == nil, !answersGeneralQueries.contains(host), host != own,
                  family == .igmp || !queriedMACs.contains(mac) else { continue }
            candidates[host] = mac
        }
        let hosts = candidates.keys.sorted()
        if !hosts.isEmpty {
            let host = hosts[state.perHostCursor % hosts.count]
            state.perHostCursor = (state.perHostCursor + 1) % hosts.count
            send(queryFrame(family, link: link, own: own, version: version, destinationMAC: candidates[host]!, maxResponseTime: response),
                 on: link.name, kind: .perHost)
        }
        state.nextPerHostAt = now + response + OwnQuerier.perHostGap
    }

    /// RFC 2236 section 3 / RFC 3376 section 6.4.2 / RFC 3810 7.6.3: when a host leaves, the
    /// querier asks the group whether anyone else still wants it, last-member-query-count
    /// (robustness) times, one last member query interval apart, so that members whose reports
    /// were suppressed speak up. mutd tracks hosts one by one, so the leaving host is gone at
    /// once (fast leave).
    private mutating func sendLeaveQueries(_ family: QueryFamily, link: ServedInterface, own: IPAddress, state: inout OwnQuerier, now: Double) {
        let timers = config.membership.defaultTimers
        for i in state.leaveQueries.indices where state.leaveQueries[i].nextAt <= now {
            send(queryFrame(family, group: state.leaveQueries[i].group, link: link, own: own, version: ownVersion(family),
                            maxResponseTime: timers.lastMemberQueryInterval),
                 on: link.name, kind: .groupSpecific)
            state.leaveQueries[i].remaining -= 1
            state.leaveQueries[i].nextAt = now + timers.lastMemberQueryInterval
        }
        state.leaveQueries.removeAll { $0.remaining <= 0 }
    }

    mutating func queueLeaveQueries(for key: MembershipKey) {
        let family: QueryFamily = key.group.isIPv6 ? .mld : .igmp
        guard config.querier, var state = ownQuerier(family, key.interface), state.active else { return }
        state.leaveQueries.removeAll { $0.group == key.group }
        state.leaveQueries.append(OwnQuerier.LeaveQuery(group: key.group, remaining: config.membership.defaultTimers.robustness, nextAt: 0))
        setOwnQuerier(family, key.interface, state)
    }

    /// Counted per family: the IGMP counters (and their metric names) stay IGMP's.
    mutating func send(_ frame: [UInt8], on interface: String, kind: QueryKind) {
        effects.append(.sendFrame(interface: interface, frame: frame, kind: kind))
        let isMLD = ControlPlane.carriesIPv6(frame.withUnsafeBytes { UnsafeRawBufferPointer($0) })
        switch (isMLD, kind == .perHost) {
        case (false, true): perHostQueriesSent &+= 1
        case (false, false): queriesSent &+= 1
        case (true, true): mldPerHostQueriesSent &+= 1
        case (true, false): mldQueriesSent &+= 1
        }
    }
}
