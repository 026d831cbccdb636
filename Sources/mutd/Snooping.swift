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
    }

    init(interfaces: [InterfaceInfo], config: DaemonConfig, log: Log) throws(StartError) {
        table = MembershipTable(config: config.membership)
        self.log = log
        querierEnabled = config.querier
        querierVersion = config.querierVersion
        var sockets: [IGMPSnooper] = []
        let probe: Int32
        do { probe = try Syscall.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) } catch {
            throw StartError("cannot open a socket: \(error)")
        }
        defer { Syscall.close(probe) }
        for info in interfaces {
            do { sockets.append(try IGMPSnooper(interface: info)) } catch {
                throw StartError("cannot snoop IGMP on \(info.name): \(error)")
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

    /// Reads what the polled sockets have; true when the forwarding table must be rebuilt.
    func process(_ polled: [pollfd], now: Double) -> Bool {
        var changed = false
        for entry in polled where entry.revents != 0 {
            guard let snooper = snoopers.first(where: { $0.fd == entry.fd }) else { continue }
            let name = snooper.interface.name
            do {
                try snooper.readFrames { frame in
                    changed = receive(frame, interface: name, now: now) || changed
                }
            } catch {
                log.warning("IGMP snooping on \(name): \(error)")
            }
        }
        return changed
    }

    private func receive(_ frame: UnsafeRawBufferPointer, interface: String, now: Double) -> Bool {
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

    /// Expires memberships and sends due queries; true when the forwarding table must be rebuilt.
    func tick(now: Double) -> Bool {
        let changed = report(table.expire(now: now), now: now)
        if querierEnabled { sendDueQueries(now: now) }
        if refusedSinceLog > 0 && now - lastRefusalLog >= Self.refusalLogInterval {
            let limits = table.config.limits
            log.warning("IGMP: refused \(refusedSinceLog) new membership(s) in the last \(Int(Self.refusalLogInterval)) s (limits: \(limits.maxGroups) groups, \(limits.maxHostsPerGroup) hosts per group, \(limits.maxEntries) entries)")
            refusedSinceLog = 0
            lastRefusalLog = now
        }
        return changed
    }

    /// The earliest time `tick` has work to do.
    func nextDeadline(now: Double) -> Double? {
        var deadlines = [table.nextDeadline()].compactMap { $0 }
        if querierEnabled { deadlines += queriers.values.filter { $0.address != nil }.map(\.nextQueryAt) }
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

    private func sendDueQueries(now: Double) {
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
            do { try snooper.send(frame: frame) } catch { log.warning("IGMP query on \(name): \(error)") }
            // Our own queries are not snooped back (outgoing frames are ignored): tell the table a
            // querier is present, so that its timers run.
            let query = IGMPQuery(version: querierVersion, group: IPv4Address(0),
                                  maxResponseCode: querierVersion >= 3 ? IGMPQueryFrame.encodeFloatingCode(Int(timers.queryResponseInterval * 10)) : UInt8(min(255, Int(timers.queryResponseInterval * 10))),
                                  robustness: querierVersion >= 3 ? timers.robustness : 0,
                                  queryIntervalCode: querierVersion >= 3 ? IGMPQueryFrame.encodeFloatingCode(Int(timers.queryInterval)) : 0)
            _ = report(table.handle(.query(query), interface: name, hostMAC: state.mac, hostIP: own, now: now), now: now)
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
    }

    /// Logs what changed; true when any action changes what the data plane does.
    private func report(_ actions: [MembershipAction], now: Double) -> Bool {
        var changed = false
        for action in actions {
            changed = changed || action.changesForwarding
            switch action {
            case .joined(let key, let mac, let filter, let version):
                log.info("IGMP: \(key.host) (\(mac)) joined \(key.group) on \(key.interface), IGMPv\(version), \(describe(filter))")
            case .left(let key):
                log.info("IGMP: \(key.host) left \(key.group) on \(key.interface)")
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
        return changed
    }

    private func describe(_ filter: SourceFilter) -> String {
        switch filter {
        case .exclude(let sources) where sources.isEmpty: return "any source"
        case .exclude(let sources): return "all sources but \(sources.map(\.description).joined(separator: ","))"
        case .include(let sources): return "only \(sources.map(\.description).joined(separator: ","))"
        }
    }
}
