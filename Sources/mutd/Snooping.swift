import MUTCore
import MUTLinux
#if canImport(Glibc)
import Glibc
#endif

/// IGMP snooping on every LAN interface, and the querier where mutd is asked to be one: reads
/// reports from the snooping sockets into the membership table (pure core), runs its timers,
/// and sends general queries while no other querier with a lower address is heard (RFC 3376
/// section 6.6.2 election).
final class Snooping {
    private(set) var table: MembershipTable
    private let snoopers: [IGMPSnooper]
    private var queriers: [String: QuerierState] = [:]
    private var log: Log
    private var querierEnabled: Bool
    private var querierVersion: Int
    private var refusedSinceLog: UInt64 = 0
    private var lastRefusalLog = -Double.infinity
    /// The interval of refusal summaries: never one log line per packet.
    static let refusalLogInterval = 10.0

    struct QuerierState {
        let address: IPv4Address?
        let mac: MACAddress
        var otherQuerier: IPv4Address?
        var otherPresentUntil = -Double.infinity
        var nextQueryAt = 0.0
        var startupQueriesLeft: Int
        var active = false
        var lastGeneralQueryAt = -Double.infinity
        var nextPerHostAt = 0.0
        /// Which host of the interface gets the next per-host query.
        var perHostCursor = 0
    }

    /// Max response time of a per-host or group-specific query (RFC 3376's last member query
    /// interval, 1 s by default), and the gap between two per-host queries of one group: longer
    /// than the response time, so that no two hosts of a group have a report timer running at once.
    static let perHostResponseTime = 1.0
    static let perHostGap = 0.25
    /// Frames sent by the querier, for `mutctl status`.
    private(set) var queriesSent: UInt64 = 0
    private(set) var perHostQueriesSent: UInt64 = 0
    private var pendingLeaves: [MembershipKey] = []

    init(interfaces: [InterfaceInfo], config: DaemonConfig, log: Log) throws(DaemonError) {
        table = MembershipTable(config: config.membership)
        self.log = log
        querierEnabled = config.querier
        querierVersion = config.querierVersion
        var sockets: [IGMPSnooper] = []
        let probe: Int32
        do { probe = try Syscall.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) } catch {
            throw DaemonError("cannot open a socket: \(error)")
        }
        defer { Syscall.close(probe) }
        for info in interfaces {
            do { sockets.append(try IGMPSnooper(interface: info)) } catch {
                if error.errno == EPERM || error.errno == EACCES {
                    throw DaemonError("cannot snoop IGMP on \(info.name): permission denied (mutd needs CAP_NET_RAW and CAP_NET_ADMIN: run it as root)")
                }
                throw DaemonError("cannot snoop IGMP on \(info.name): \(error)")
            }
            let address = Syscall.interfaceIPv4(info.name, using: probe)
            if config.querier && address == nil {
                log.warning("\(info.name) has no IPv4 address: mutd cannot be the IGMP querier there")
            }
            queriers[info.name] = QuerierState(address: address, mac: info.mac,
                                               startupQueriesLeft: config.membership.defaultTimers.robustness)
        }
        snoopers = sockets
    }

    func update(config: DaemonConfig, log: Log) {
        self.log = log
        querierEnabled = config.querier
        querierVersion = config.querierVersion
        table.reconfigure(config.membership)
    }

    var pollDescriptors: [pollfd] { snoopers.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) } }

    /// Reads what the polled sockets have; returns what changed in the membership table.
    func process(_ polled: [pollfd], now: Double) -> [MembershipAction] {
        var actions: [MembershipAction] = []
        for entry in polled where entry.revents != 0 {
            guard let snooper = snoopers.first(where: { $0.fd == entry.fd }) else { continue }
            let name = snooper.interface.name
            do {
                try snooper.readFrames { frame in
                    actions += receive(frame, interface: name, now: now)
                }
            } catch {
                log.warning("IGMP snooping on \(name): \(error)")
            }
        }
        return actions
    }

    /// Puts saved memberships back (hitless restart).
    func restore(_ saved: SavedState, now: Double) -> [MembershipAction] {
        let actions = table.restore(saved.memberships, held: Set(saved.heldInterfaces), now: now)
        let restored = actions.filter { if case .joined = $0 { true } else { false } }.count
        log.info("restored \(restored) IGMP membership(s) saved \(Int(now - saved.savedAt)) s ago")
        return report(actions, now: now, quiet: true)
    }

    private func receive(_ frame: UnsafeRawBufferPointer, interface: String, now: Double) -> [MembershipAction] {
        let actions: [MembershipAction]
        if let packet = try? IGMPPacket.parse(frame: frame) {
            if case .query = packet.message, packet.senderIP != queriers[interface]?.address {
                heardOtherQuerier(packet.senderIP, interface: interface, now: now)
            }
            actions = table.handle(packet.message, interface: interface, hostMAC: packet.senderMAC,
                                   hostIP: packet.senderIP, now: now)
        } else {
            actions = table.handle(frame: frame, interface: interface, now: now)  // counts it as invalid
        }
        return report(actions, now: now)
    }

    /// Expires memberships and sends due queries; returns what changed in the membership table.
    /// `neighbours` lists the hosts known on an interface (IP and MAC) besides IGMP members, for
    /// the per-host queries.
    func tick(now: Double, neighbours: (String) -> [(IPv4Address, MACAddress)]) -> [MembershipAction] {
        var changed = report(table.expire(now: now), now: now)
        if querierEnabled {
            changed += sendDueQueries(now: now)
            sendPerHostQueries(now: now, neighbours: neighbours)
            sendLeaveQueries(now: now)
        }
        if refusedSinceLog > 0 && now - lastRefusalLog >= Self.refusalLogInterval {
            let limits = table.config.limits
            log.warning("IGMP: refused \(refusedSinceLog) new membership(s) in the last \(Int(Self.refusalLogInterval)) s (limits: \(limits.maxGroups) groups, \(limits.maxHostsPerGroup) hosts per group, \(limits.maxEntries) entries)")
            refusedSinceLog = 0
            lastRefusalLog = now
        }
        return changed
    }

    /// The earliest time `tick` has work to do.
    func nextDeadline() -> Double? {
        var deadlines = [table.nextDeadline()].compactMap { $0 }
        if querierEnabled {
            deadlines += queriers.values.filter { $0.address != nil }.map(\.nextQueryAt)
            deadlines += queriers.values.filter(\.active).map(\.nextPerHostAt)
        }
        return deadlines.min()
    }

    private func heardOtherQuerier(_ address: IPv4Address, interface: String, now: Double) {
        guard var state = queriers[interface] else { return }
        let timers = table.timers(interface: interface)
        state.otherQuerier = address
        state.otherPresentUntil = now + timers.otherQuerierPresentInterval
        if state.active, let own = state.address, address < own {
            state.active = false
            log.info("IGMP querier \(address) on \(interface) has a lower address than ours (\(own)): mutd stops querying there")
        }
        queriers[interface] = state
    }

    private func sendDueQueries(now: Double) -> [MembershipAction] {
        var actions: [MembershipAction] = []
        for snooper in snoopers {
            let name = snooper.interface.name
            guard var state = queriers[name], let own = state.address, state.nextQueryAt <= now else { continue }
            let timers = table.config.defaultTimers
            let otherWins = state.otherPresentUntil > now && (state.otherQuerier.map { $0 < own } ?? false)
            if otherWins {
                state.nextQueryAt = state.otherPresentUntil
                queriers[name] = state
                continue
            }
            if !state.active {
                state.active = true
                log.info("IGMP querier on \(name): mutd queries as \(own) (IGMPv\(querierVersion), every \(timers.queryInterval.plainDescription) s)")
            }
            let frame = IGMPQueryFrame.build(version: querierVersion, sourceMAC: state.mac, sourceIP: own, timers: timers)
            do {
                try snooper.send(frame: frame)
                queriesSent &+= 1
            } catch { log.warning("IGMP query on \(name): \(error)") }
            state.lastGeneralQueryAt = now
            // Our own queries are not snooped back (outgoing frames are ignored): tell the table a
            // querier is present, so that its timers run.
            let query = IGMPQuery(version: querierVersion, group: IPv4Address(0),
                                  maxResponseCode: querierVersion >= 3 ? IGMPQueryFrame.encodeFloatingCode(Int(timers.queryResponseInterval * 10)) : UInt8(min(255, Int(timers.queryResponseInterval * 10))),
                                  robustness: querierVersion >= 3 ? timers.robustness : 0,
                                  queryIntervalCode: querierVersion >= 3 ? IGMPQueryFrame.encodeFloatingCode(Int(timers.queryInterval)) : 0)
            actions += report(table.handle(.query(query), interface: name, hostMAC: state.mac, hostIP: own, now: now), now: now)
            // RFC 3376 8.6/8.7: `robustness` startup queries a quarter interval apart, then the interval.
            if state.startupQueriesLeft > 1 {
                state.startupQueriesLeft -= 1
                state.nextQueryAt = now + timers.queryInterval / 4
            } else {
                state.startupQueriesLeft = 0
                state.nextQueryAt = now + timers.queryInterval
            }
            queriers[name] = state
        }
        return actions
    }

    /// Against IGMPv2 report suppression on a shared medium: a host that hears another host's
    /// report for a group keeps quiet (its answer to a general query, and even its own join
    /// report when another member's report arrives first), so only one member of a group may be
    /// heard. Each host that could be such a silent member (an IGMPv1/v2 member, or any other
    /// neighbour on the link) therefore also gets a general query in a frame addressed to its own
    /// unicast MAC, one host at a time, spaced by more than the response time: the queried host is
    /// then the only one with report timers running, and nobody's report is suppressed. IGMPv3
    /// members are left out: IGMPv3 has no suppression, they answer the general query. The round
    /// stays clear of the general query's response window. A round of N hosts takes N × 1.25 s,
    /// which must stay below the membership interval (260 s by default: about 200 hosts).
    private func sendPerHostQueries(now: Double, neighbours: (String) -> [(IPv4Address, MACAddress)]) {
        let response = min(Self.perHostResponseTime, table.config.defaultTimers.queryResponseInterval)
        for snooper in snoopers {
            let name = snooper.interface.name
            guard var state = queriers[name], state.active, let own = state.address, state.nextPerHostAt <= now else { continue }
            let timers = table.config.defaultTimers
            let generalWindowEnds = state.lastGeneralQueryAt + timers.queryResponseInterval + Self.perHostGap
            if now < generalWindowEnds {
                state.nextPerHostAt = generalWindowEnds
                queriers[name] = state
                continue
            }
            if state.nextQueryAt - now < response + Self.perHostGap {
                state.nextPerHostAt = state.nextQueryAt + timers.queryResponseInterval + Self.perHostGap
                queriers[name] = state
                continue
            }
            var candidates: [IPv4Address: MACAddress] = [:]
            var answersGeneralQueries: Set<IPv4Address> = []
            for m in table.memberships where m.interface == name {
                guard case .igmp(let version, _) = m.origin, let mac = m.mac else { continue }
                if version <= 2 { candidates[m.host] = mac } else { answersGeneralQueries.insert(m.host) }
            }
            for (host, mac) in neighbours(name) where candidates[host] == nil && !answersGeneralQueries.contains(host) && host != own {
                candidates[host] = mac
            }
            let hosts = candidates.keys.sorted()
            if !hosts.isEmpty {
                let host = hosts[state.perHostCursor % hosts.count]
                state.perHostCursor = (state.perHostCursor + 1) % hosts.count
                let frame = IGMPQueryFrame.build(version: querierVersion, sourceMAC: state.mac, sourceIP: own,
                                                 destinationMAC: candidates[host]!, timers: timers, maxResponseTime: response)
                do {
                    try snooper.send(frame: frame)
                    perHostQueriesSent &+= 1
                } catch { log.warning("IGMP per-host query to \(host) on \(name): \(error)") }
            }
            state.nextPerHostAt = now + response + Self.perHostGap
            queriers[name] = state
        }
    }

    /// RFC 2236 section 3: when a host leaves, the querier asks the group whether anyone else still
    /// wants it (a group-specific query to the group address), so the remaining members report.
    private func sendLeaveQueries(now: Double) {
        guard !pendingLeaves.isEmpty else { return }
        let leaves = pendingLeaves
        pendingLeaves = []
        let timers = table.config.defaultTimers
        for key in leaves {
            guard let state = queriers[key.interface], state.active, let own = state.address,
                  let snooper = snoopers.first(where: { $0.interface.name == key.interface }) else { continue }
            let frame = IGMPQueryFrame.build(version: querierVersion, group: key.group, sourceMAC: state.mac, sourceIP: own,
                                             timers: timers, maxResponseTime: min(Self.perHostResponseTime, timers.queryResponseInterval))
            do {
                try snooper.send(frame: frame)
                queriesSent &+= 1
            } catch { log.warning("IGMP group query on \(key.interface): \(error)") }
        }
    }

    /// Logs what changed and passes the actions on.
    private func report(_ actions: [MembershipAction], now: Double, quiet: Bool = false) -> [MembershipAction] {
        for action in actions {
            switch action {
            case .joined(let key, let mac, let filter, let version):
                if quiet { break }
                log.info("IGMP: \(key.host) (\(mac)) joined \(key.group) on \(key.interface), IGMPv\(version), \(describe(filter))")
            case .left(let key):
                log.info("IGMP: \(key.host) left \(key.group) on \(key.interface)")
                pendingLeaves.append(key)
            case .expired(let key):
                log.info("IGMP: \(key.host) expired from \(key.group) on \(key.interface) (no report for one membership interval)")
            case .filterChanged(let key, let filter):
                log.info("IGMP: \(key.host) now wants \(describe(filter)) of \(key.group) on \(key.interface)")
            case .macChanged(let key, let mac):
                log.info("IGMP: \(key.host) in \(key.group) on \(key.interface) moved to MAC \(mac)")
            case .refused:
                refusedSinceLog &+= 1
            case .querierHeard(let interface, let address, let version, let timers):
                log.info("IGMP querier \(address) (v\(version)) on \(interface): robustness \(timers.robustness), query interval \(timers.queryInterval.plainDescription) s, max response \(timers.queryResponseInterval.plainDescription) s")
            case .querierLost(let interface, let address):
                log.info("IGMP querier \(address) on \(interface) went silent")
            case .refreshed, .discarded:
                break
            }
        }
        return actions
    }

    private func describe(_ filter: SourceFilter) -> String {
        switch filter {
        case .exclude(let sources) where sources.isEmpty: return "any source"
        case .exclude(let sources): return "all sources but \(sources.map(\.description).joined(separator: ","))"
        case .include(let sources): return "only \(sources.map(\.description).joined(separator: ","))"
        }
    }
}
