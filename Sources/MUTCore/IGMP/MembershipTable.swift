/// What the last event changed, for the daemon to log and to decide whether to rebuild its
/// forwarding snapshot (`changesForwarding`).
public enum MembershipAction: Equatable, Sendable {
    case joined(MembershipKey, mac: MACAddress, filter: SourceFilter, version: Int)
    /// A report renewed the timers (or the compatibility version) and nothing the data plane sees.
    case refreshed(MembershipKey)
    case filterChanged(MembershipKey, filter: SourceFilter)
    case macChanged(MembershipKey, mac: MACAddress)
    /// The host said it wants nothing more (v2 leave, IS_IN{}/TO_IN{}, BLOCK of its last source).
    case left(MembershipKey)
    /// Its timers ran out.
    case expired(MembershipKey)
    /// The host's Wi-Fi station left the access point (disassociated, deauthenticated).
    case departed(MembershipKey)
    case refused(MembershipKey, RefusalReason)
    /// A new querier, or a known one with other timer values.
    case querierHeard(interface: String, address: IPAddress, version: Int, timers: IGMPTimerValues)
    /// No query heard for the other-querier-present interval.
    case querierLost(interface: String, address: IPAddress)
    case discarded(DiscardReason)

    public var changesForwarding: Bool {
        switch self {
        case .joined, .filterChanged, .macChanged, .left, .expired, .departed: return true
        case .refreshed, .refused, .querierHeard, .querierLost, .discarded: return false
        }
    }
}

/// The IGMP-learned subscriber table: per (interface, group, host) membership state driven by
/// snooped messages and an injected clock (seconds, monotonic). Pure: the daemon feeds it frames
/// and the time, carries out nothing but logging and `ForwardingTable.build(memberships:)`.
public struct MembershipTable: Sendable {
    private struct GroupKey: Hashable, Comparable, Sendable {
        var interface: String
        var group: IPAddress
        static func < (lhs: GroupKey, rhs: GroupKey) -> Bool { (lhs.interface, lhs.group) < (rhs.interface, rhs.group) }
    }

    private struct InterfaceState: Sendable {
        var timers: IGMPTimerValues
        var querier: QuerierRecord?
    }

    public private(set) var config: MembershipTableConfig
    public internal(set) var stats = IGMPSnoopingStats()
    /// (interface, group, host) entries held now.
    public private(set) var entryCount = 0
    private var groups: [GroupKey: [IPAddress: HostMembershipState]] = [:]
    private var interfaces: [String: InterfaceState] = [:]

    public init(config: MembershipTableConfig = MembershipTableConfig()) {
        self.config = config
    }

    /// Takes new limits and policy (SIGHUP); held entries stay, even above new limits.
    public mutating func reconfigure(_ config: MembershipTableConfig) {
        self.config = config
    }

    public var groupCount: Int { groups.count }

    /// The timer values in force on `interface` (defaults until a querier is heard there).
    public func timers(interface: String) -> IGMPTimerValues {
        interfaces[interface]?.timers ?? config.defaultTimers
    }

    /// True when entries on `interface` are being held because no querier is present there (their
    /// `expiresAt` may then lie in the past: show them as held, not as expiring).
    public func expiryIsHeld(interface: String) -> Bool {
        config.expireOnlyWithQuerier && interfaces[interface]?.querier == nil
    }

    /// The querier of `interface` (the one record: another host, another daemon on this host, or
    /// mutd itself), if one was heard within the other-querier-present interval.
    public func querier(interface: String) -> QuerierRecord? {
        interfaces[interface]?.querier
    }

    // MARK: Events

    /// Parses a snooped frame and handles it; a frame that does not parse counts as invalid.
    public mutating func handle(frame: UnsafeRawBufferPointer, interface: String, now: Double) -> [MembershipAction] {
        let packet: IGMPPacket
        do {
            packet = try IGMPPacket.parse(frame: frame)
        } catch {
            stats.invalid &+= 1
            return [.discarded(.unparsable(error))]
        }
        return handle(packet.message, interface: interface, hostMAC: packet.senderMAC, hostIP: packet.senderIP, now: now)
    }

    /// One message heard from a host on the link. `querierOrigin` says who sent a query: another
    /// host (the default), another program on this host (a frame this host sent), or mutd.
    public mutating func handle(
        _ message: IGMPMessage, interface: String, hostMAC: MACAddress, hostIP: IPv4Address, now: Double,
        querierOrigin: QuerierOrigin = .otherHost
    ) -> [MembershipAction] {
        let hostIP = IPAddress.v4(hostIP)
        switch message {
        case .query(let query):
            stats.query &+= 1
            return heardQuery(QueryTimers(query), interface: interface, from: hostIP, origin: querierOrigin, now: now)
        case .v1Report(let group):
            stats.v1Report &+= 1
            return olderReport(version: 1, group: .v4(group), interface: interface, hostMAC: hostMAC, hostIP: hostIP, now: now)
        case .v2Report(let group):
            stats.v2Report &+= 1
            return olderReport(version: 2, group: .v4(group), interface: interface, hostMAC: hostMAC, hostIP: hostIP, now: now)
        case .v2Leave(let group):
            stats.leave &+= 1
            if let discard = discardReason(group: .v4(group), hostMAC: hostMAC, hostIP: hostIP) { return [discard] }
            let key = MembershipKey(interface: interface, group: .v4(group), host: hostIP)
            return update(key, hostMAC: hostMAC) { state in
                // RFC 3376 section 7.3.2: a leave is ignored while the host is in IGMPv1 mode.
                if state.compatibilityVersion == 1 { return true }
                return false
            }
        case .v3Report(let report):
            stats.v3Report &+= 1
            var actions: [MembershipAction] = []
            if let discard = discardReason(group: nil, hostMAC: hostMAC, hostIP: hostIP) { return [discard] }
            let deadline = now + timers(interface: interface).membershipInterval
            for record in report.records {
                if let discard = discardReason(group: .v4(record.group), hostMAC: hostMAC, hostIP: hostIP) {
                    actions.append(discard)
                    continue
                }
                let key = MembershipKey(interface: interface, group: .v4(record.group), host: hostIP)
                actions += update(key, hostMAC: hostMAC) { state in
                    state.apply(record.type, sources: record.sources.map(IPAddress.v4), deadline: deadline)
                }
            }
            return actions
        }
    }

    /// Lets timers that ran out by `now` expire. Where `expireOnlyWithQuerier` holds and no querier is
    /// present, entries are kept (timers count only while a querier was present).
    public mutating func expire(now: Double) -> [MembershipAction] {
        var actions: [MembershipAction] = []
        for groupKey in groups.keys.sorted() {
            guard let horizon = expiryHorizon(interface: groupKey.interface, now: now),
                  var hosts = groups[groupKey] else { continue }
            for host in hosts.keys.sorted() {
                guard var state = hosts[host], let earliest = state.earliestDeadline, earliest <= horizon else { continue }
                let key = MembershipKey(interface: groupKey.interface, group: groupKey.group, host: host)
                let oldFilter = state.filter
                state.expire(upTo: horizon)
                if state.isEmpty {
                    hosts[host] = nil
                    entryCount -= 1
                    actions.append(.expired(key))
                } else {
                    hosts[host] = state
                    if state.filter != oldFilter { actions.append(.filterChanged(key, filter: state.filter)) }
                }
            }
            groups[groupKey] = hosts.isEmpty ? nil : hosts
        }
        for name in interfaces.keys.sorted() {
            if let querier = interfaces[name]?.querier, querier.presentUntil <= now {
                interfaces[name]?.querier = nil
                actions.append(.querierLost(interface: name, address: querier.address))
            }
        }
        return actions
    }

    /// Ends at once every membership of the host at `mac` (its Wi-Fi station left the AP).
    public mutating func forget(mac: MACAddress) -> [MembershipAction] {
        var actions: [MembershipAction] = []
        for groupKey in groups.keys.sorted() {
            guard var hosts = groups[groupKey] else { continue }
            for host in hosts.keys.sorted() where hosts[host]?.mac == mac {
                hosts[host] = nil
                entryCount -= 1
                actions.append(.departed(MembershipKey(interface: groupKey.interface, group: groupKey.group, host: host)))
            }
            groups[groupKey] = hosts.isEmpty ? nil : hosts
        }
        return actions
    }

    /// When `expire(now:)` next has something to do; nil when nothing is timed.
    public func nextDeadline() -> Double? {
        var next: Double?
        func consider(_ deadline: Double) { next = min(next ?? deadline, deadline) }
        for state in interfaces.values {
            if let querier = state.querier { consider(querier.presentUntil) }
        }
        for (groupKey, hosts) in groups {
            if config.expireOnlyWithQuerier && interfaces[groupKey.interface]?.querier == nil { continue }
            for state in hosts.values {
                if let deadline = state.earliestDeadline { consider(deadline) }
            }
        }
        return next
    }

    // MARK: State for the daemon

    /// Every membership, sorted by interface, group, host: what `ForwardingTable.build` takes.
    public var memberships: [Membership] {
        var list: [Membership] = []
        list.reserveCapacity(entryCount)
        for groupKey in groups.keys.sorted() {
            guard let hosts = groups[groupKey] else { continue }
            for host in hosts.keys.sorted() {
                guard let state = hosts[host] else { continue }
                list.append(Membership(
                    interface: groupKey.interface, group: groupKey.group, host: host, mac: state.mac,
                    filter: state.filter,
                    origin: .igmp(version: state.compatibilityVersion, expiresAt: state.expiresAt)))
            }
        }
        return list
    }

    public func membership(_ key: MembershipKey) -> Membership? {
        guard let state = groups[GroupKey(interface: key.interface, group: key.group)]?[key.host] else { return nil }
        return Membership(
            interface: key.interface, group: key.group, host: key.host, mac: state.mac, filter: state.filter,
            origin: .igmp(version: state.compatibilityVersion, expiresAt: state.expiresAt))
    }

    // MARK: Internals

    mutating func olderReport(
        version: Int, group: IPAddress, interface: String, hostMAC: MACAddress, hostIP: IPAddress, now: Double
    ) -> [MembershipAction] {
        if let discard = discardReason(group: group, hostMAC: hostMAC, hostIP: hostIP) { return [discard] }
        let deadline = now + timers(interface: interface).membershipInterval
        let key = MembershipKey(interface: interface, group: group, host: hostIP)
        return update(key, hostMAC: hostMAC) { state in
            state.olderReport(version: version, deadline: deadline)
            return true
        }
    }

    /// Runs `change` on the host's state (a fresh one when the host is new) and reports the
    /// difference. `change` returns false when the host must be removed at once.
    mutating func update(
        _ key: MembershipKey, hostMAC: MACAddress, _ change: (inout HostMembershipState) -> Bool
    ) -> [MembershipAction] {
        let groupKey = GroupKey(interface: key.interface, group: key.group)
        let old = groups[groupKey]?[key.host]
        var state = old ?? HostMembershipState(mac: hostMAC)
        state.mac = hostMAC
        let keep = change(&state)
        if keep && state.sourceCount > config.limits.maxSourcesPerEntry {
            stats.refusedByReason[RefusalReason.tooManySources.rawValue] &+= 1
            return [.refused(key, .tooManySources)]
        }
        guard let old else {
            guard keep, !state.isEmpty else { return [] }
            if let reason = refusal(for: groupKey) {
                stats.refusedByReason[reason.rawValue] &+= 1
                return [.refused(key, reason)]
            }
            groups[groupKey, default: [:]][key.host] = state
            entryCount += 1
            return [.joined(key, mac: hostMAC, filter: state.filter, version: state.compatibilityVersion)]
        }
        guard keep, !state.isEmpty else {
            groups[groupKey]?[key.host] = nil
            if groups[groupKey]?.isEmpty == true { groups[groupKey] = nil }
            entryCount -= 1
            return [.left(key)]
        }
        groups[groupKey]?[key.host] = state
        var actions: [MembershipAction] = []
        if state.mac != old.mac { actions.append(.macChanged(key, mac: state.mac)) }
        if state.filter != old.filter { actions.append(.filterChanged(key, filter: state.filter)) }
        if actions.isEmpty && state != old { actions.append(.refreshed(key)) }
        return actions
    }

    private func refusal(for groupKey: GroupKey) -> RefusalReason? {
        let limits = config.limits
        if entryCount >= limits.maxEntries { return .tooManyEntries }
        if let hosts = groups[groupKey] {
            if hosts.count >= limits.maxHostsPerGroup { return .tooManyHostsInGroup }
        } else if groups.count >= limits.maxGroups {
            return .tooManyGroups
        }
        return nil
    }

    /// Why a report or leave (or one v3 record, when `group` is given) is not taken; counts it.
    mutating func discardReason(group: IPAddress?, hostMAC: MACAddress, hostIP: IPAddress) -> MembershipAction? {
        if hostIP.isUnspecified {
            stats.ignored &+= 1
            return .discarded(.unspecifiedSender)
        }
        if hostIP.isInvalidHost || !hostMAC.isUnicast {
            stats.invalid &+= 1
            return .discarded(.invalidSender(hostIP))
        }
        guard let group else { return nil }
        if !group.isMulticast {
            stats.invalid &+= 1
            return .discarded(.notMulticast(group))
        }
        if group.isLinkLocalMulticast {
            stats.ignored &+= 1
            return .discarded(.linkLocalGroup(group))
        }
        return nil
    }

    private func expiryHorizon(interface: String, now: Double) -> Double? {
        guard config.expireOnlyWithQuerier else { return now }
        guard let querier = interfaces[interface]?.querier else { return nil }
        return min(now, querier.presentUntil)
    }

    /// RFC 3376 section 6.6.2: the querier with the lowest address wins; its timers are the
    /// link's (QRV, QQIC and max response time of an IGMPv3 general query; the configured values
    /// with an IGMPv1/v2 querier, whose queries carry no QRV or QQIC). A query from a higher
    /// address than the present querier's is counted and changes nothing.
    mutating func heardQuery(
        _ query: QueryTimers, interface: String, from address: IPAddress, origin: QuerierOrigin, now: Double
    ) -> [MembershipAction] {
        var state = interfaces[interface] ?? InterfaceState(timers: config.defaultTimers, querier: nil)
        let previous = state.querier.flatMap { $0.presentUntil > now ? $0 : nil }
        if let previous, address > previous.address { return [] }
        if query.isGeneral {
            // A group-specific query's max response time is the last member query interval,
            // not the query response interval.
            if query.carriesTimers {
                if query.robustness != 0 { state.timers.robustness = query.robustness }
                if let interval = query.queryInterval { state.timers.queryInterval = interval }
            } else {
                state.timers.robustness = config.defaultTimers.robustness
                state.timers.queryInterval = config.defaultTimers.queryInterval
            }
            if query.maxResponseTime > 0 { state.timers.queryResponseInterval = query.maxResponseTime }
        }
        let absent = previous == nil
        state.querier = QuerierRecord(address: address, version: query.version, origin: origin,
                                      presentUntil: now + state.timers.otherQuerierPresentInterval)
        let timersChanged = interfaces[interface]?.timers != state.timers
        interfaces[interface] = state
        if absent && config.expireOnlyWithQuerier {
            // Timers were held while no querier was present: give every host one full membership
            // interval from now to answer this querier.
            let deadline = now + state.timers.membershipInterval
            for (groupKey, hosts) in groups where groupKey.interface == interface {
                groups[groupKey] = hosts.mapValues { state in
                    var extended = state
                    extended.extendTimers(toAtLeast: deadline)
                    return extended
                }
            }
        }
        if absent || previous?.address != address || previous?.version != query.version
            || previous?.origin != origin || timersChanged {
            return [.querierHeard(interface: interface, address: address, version: query.version, timers: state.timers)]
        }
        return []
    }
}

extension MembershipTable {
    /// Puts back memberships saved before a restart (hitless restart): each gets its saved filter,
    /// compatibility version and expiry. Entries already past their expiry are skipped unless
    /// `held` (their interface had no querier, so they were being held, not timed). Limits apply as
    /// to reports. Returns the `.joined` actions of what was restored.
    public mutating func restore(_ saved: [Membership], held: Set<String>, now: Double) -> [MembershipAction] {
        var actions: [MembershipAction] = []
        for membership in saved {
            guard case .igmp(let version, let savedExpiry) = membership.origin, let mac = membership.mac,
                  membership.group.isMulticast, !membership.group.isLinkLocalMulticast else { continue }
            var expiresAt = savedExpiry
            if held.contains(membership.interface) {
                expiresAt = max(expiresAt, now + timers(interface: membership.interface).membershipInterval)
            }
            guard expiresAt > now else { continue }
            let key = MembershipKey(interface: membership.interface, group: membership.group, host: membership.host)
            actions += update(key, hostMAC: mac) { state in
                state.restore(version: version, filter: membership.filter, until: expiresAt)
                return true
            }
        }
        return actions
    }
}
