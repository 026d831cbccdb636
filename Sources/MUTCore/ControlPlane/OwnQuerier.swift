/// mutd as the IGMP querier of a link (`--querier`): when it queries, and its per-host and
/// last-member queries. Who the link's querier is lives in one place, the membership table's
/// querier record; this is only mutd's own schedule.
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
        var group: IPv4Address
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

extension ControlPlane {
    /// The link's querier when it is not mutd and wins the election against `own` (RFC 3376
    /// 6.6.2: lowest address; a program on this host with our own address wins too, so that
    /// mutd never doubles igmpproxy's queries).
    func outranking(_ own: IPv4Address, interface: String, now: Double) -> QuerierRecord? {
        guard let record = table.querier(interface: interface), record.presentUntil > now,
              record.origin != .mutd, record.address <= .v4(own) else { return nil }
        return record
    }

    /// A query was heard: mutd stops querying where the sender wins the election.
    mutating func stepBackIfOutranked(interface: String) {
        guard config.querier, var state = queriers[interface], state.active, let own = link(interface)?.address,
              let record = table.querier(interface: interface), record.origin != .mutd, record.address <= .v4(own) else { return }
        state.active = false
        state.nextQueryAt = record.presentUntil
        state.leaveQueries = []
        queriers[interface] = state
        let why = record.address == .v4(own) ? "is another program on this host" : "has a lower address than ours (\(own))"
        effects.append(.log(.info, "IGMP querier \(record.address) on \(interface) \(why): mutd stops querying there"))
    }

    mutating func sendDueQueries(now: Double) {
        for link in interfaces {
            guard let own = link.address, var state = queriers[link.name] else { continue }
            let timers = config.membership.defaultTimers
            if config.querier && state.nextQueryAt <= now {
                if let other = outranking(own, interface: link.name, now: now) {
                    state.active = false
                    state.nextQueryAt = other.presentUntil
                } else {
                    if !state.active {
                        state.active = true
                        effects.append(.log(.info, "IGMP querier on \(link.name): mutd queries as \(own) (IGMPv\(config.querierVersion), every \(timers.queryInterval.plainDescription) s)"))
                    }
                    let frame = IGMPQueryFrame.build(version: config.querierVersion, sourceMAC: link.mac, sourceIP: own, timers: timers)
                    send(frame, on: link.name, kind: .general)
                    state.lastGeneralQueryAt = now
                    // mutd does not hear its own frames: its query goes into the querier record
                    // as heard, so the link's timers run. Parsed back, so one encoder says it all.
                    if let packet = try? frame.withUnsafeBytes({ bytes throws(ParseError) in try IGMPPacket.parse(frame: bytes) }) {
                        record(table.handle(packet.message, interface: link.name, hostMAC: link.mac, hostIP: own,
                                            now: now, querierOrigin: .mutd))
                    }
                    if state.startupQueriesLeft > 1 {
                        state.startupQueriesLeft -= 1
                        state.nextQueryAt = now + timers.queryInterval / 4
                    } else {
                        state.startupQueriesLeft = 0
                        state.nextQueryAt = now + timers.queryInterval
                    }
                }
            }
            let beside = besideOtherQuerier(interface: link.name, now: now)
            let wasProbing = state.probing
            state.probing = state.active || (config.perHostQueries && beside != nil)
            if state.probing && !wasProbing { state.nextPerHostAt = now }
            if state.active {
                sendPerHostQuery(link: link, own: own, state: &state, now: now, version: config.querierVersion,
                                 generalQueryWindow: (state.lastGeneralQueryAt, state.nextQueryAt))
                sendLeaveQueries(link: link, own: own, state: &state, now: now)
            } else if state.probing, let beside {
                // In the querier's own version, so that no host changes its compatibility mode.
                sendPerHostQuery(link: link, own: own, state: &state, now: now, version: max(2, beside.version),
                                 generalQueryWindow: (beside.last, beside.next))
            }
            queriers[link.name] = state
        }
    }

    /// When the link's querier (not mutd) last queried and is expected to query next, while one
    /// is present.
    private func besideOtherQuerier(interface: String, now: Double) -> (last: Double, next: Double, version: Int)? {
        guard let record = table.querier(interface: interface), record.origin != .mutd, record.presentUntil > now else { return nil }
        let timers = table.timers(interface: interface)
        let heardAt = record.presentUntil - timers.otherQuerierPresentInterval
        return (heardAt, heardAt + timers.queryInterval, record.version)
    }

    /// Against IGMPv2 report suppression on a shared medium: a host that hears another host's
    /// report for a group keeps quiet, so only one member of a group may be heard. Each host that
    /// could be such a silent member (an IGMPv1/v2 member, or any other neighbour on the link,
    /// whose join report may itself have been suppressed) also gets a general query in a
    /// frame to its own unicast MAC, one host at a time, spaced by more than the response time:
    /// the queried host is then the only one with report timers running. IGMPv3 members are
    /// left out (no suppression). This runs beside another querier too (another host, or
    /// igmpproxy on this router): its general queries alone would let suppressed members
    /// expire. The round stays clear of the general query's response window; N hosts take
    /// N × (last member interval + 0.25 s).
    private mutating func sendPerHostQuery(link: ServedInterface, own: IPv4Address, state: inout OwnQuerier, now: Double, version: Int,
                                           generalQueryWindow window: (last: Double, next: Double)) {
        guard state.nextPerHostAt <= now else { return }
        let timers = config.membership.defaultTimers
        let responseInterval = table.timers(interface: link.name).queryResponseInterval
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
        var candidates: [IPv4Address: MACAddress] = [:]
        var answersGeneralQueries: Set<IPv4Address> = []
        for m in table.memberships where m.interface == link.name {
            guard case .igmp(let version, _) = m.origin, let mac = m.mac, let host = m.host.v4 else { continue }
            if version <= 2 { candidates[host] = mac } else { answersGeneralQueries.insert(host) }
        }
        for (address, mac) in neighbours.reachable(on: link.name) {
            guard let host = address.v4, candidates[host] == nil, !answersGeneralQueries.contains(host), host != own else { continue }
            candidates[host] = mac
        }
        let hosts = candidates.keys.sorted()
        if !hosts.isEmpty {
            let host = hosts[state.perHostCursor % hosts.count]
            state.perHostCursor = (state.perHostCursor + 1) % hosts.count
            send(IGMPQueryFrame.build(version: version, sourceMAC: link.mac, sourceIP: own,
                                      destinationMAC: candidates[host]!, timers: timers, maxResponseTime: response),
                 on: link.name, kind: .perHost)
        }
        state.nextPerHostAt = now + response + OwnQuerier.perHostGap
    }

    /// RFC 2236 section 3 / RFC 3376 section 6.4.2: when a host leaves, the querier asks the group
    /// whether anyone else still wants it, last-member-query-count (robustness) times, one last
    /// member query interval apart, so that members whose reports were suppressed speak up.
    /// mutd tracks hosts one by one, so the leaving host is gone at once (fast leave).
    private mutating func sendLeaveQueries(link: ServedInterface, own: IPv4Address, state: inout OwnQuerier, now: Double) {
        let timers = config.membership.defaultTimers
        for i in state.leaveQueries.indices where state.leaveQueries[i].nextAt <= now {
            send(IGMPQueryFrame.build(version: config.querierVersion, group: state.leaveQueries[i].group, sourceMAC: link.mac,
                                      sourceIP: own, timers: timers, maxResponseTime: timers.lastMemberQueryInterval),
                 on: link.name, kind: .groupSpecific)
            state.leaveQueries[i].remaining -= 1
            state.leaveQueries[i].nextAt = now + timers.lastMemberQueryInterval
        }
        state.leaveQueries.removeAll { $0.remaining <= 0 }
    }

    mutating func queueLeaveQueries(for key: MembershipKey) {
        // mutd queries IGMP only: an MLD leave asks nothing.
        guard config.querier, var state = queriers[key.interface], state.active, let group = key.group.v4 else { return }
        state.leaveQueries.removeAll { $0.group == group }
        state.leaveQueries.append(OwnQuerier.LeaveQuery(group: group, remaining: config.membership.defaultTimers.robustness, nextAt: 0))
        queriers[key.interface] = state
    }

    private mutating func send(_ frame: [UInt8], on interface: String, kind: QueryKind) {
        effects.append(.sendFrame(interface: interface, frame: frame, kind: kind))
        if kind == .perHost { perHostQueriesSent &+= 1 } else { queriesSent &+= 1 }
    }
}
