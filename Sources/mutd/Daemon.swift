import MUTCore
import MUTLinux
#if canImport(Glibc)
import Glibc
#endif

/// Why mutd cannot start or had to stop: printed as one line, exit status 1.
struct DaemonError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A membership as the data plane sees it: no timers, so refreshes do not republish the table.
struct ForwardingEntry: Equatable {
    var interface: String
    var group: IPv4Address
    var host: IPv4Address
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

struct NeighbourKey: Hashable {
    var interfaceIndex: Int32
    var address: IPv4Address
}

/// The control plane: owns the configuration, the neighbour cache and the memberships, builds
/// table snapshots and publishes them to the data-plane threads. Runs on the main thread's
/// poll loop; it is the only writer of everything here.
final class Daemon {
    private var config: DaemonConfig
    private var loaded: LoadedConfig
    /// Static subscribers added with `mutctl add` since start: a reload keeps them.
    private var runtimeStatics: [StaticSubscriber] = []
    private var log: Log
    private let interfaces: [InterfaceInfo]
    private let counters = DataPlaneCounters()
    private let table: TableCell
    private let stopFlag = StopFlag()
    private var dataPlanes: [DataPlane] = []
    private var threads: [DaemonThread] = []
    private let neighbours: NeighbourWatch
    private let signals: Int32
    private let startedAt = Syscall.monotonicSeconds()
    private var control: ControlServer?
    private let snooping: Snooping
    /// Bridged mode (--bridge-port): the ports, and where hosts sit behind them.
    private let bridgePorts: BridgePortWatch
    /// What the data plane was last given, without timers: rebuilding only when this changes.
    private var lastForwarding: [ForwardingEntry] = []
    /// Set when something other than memberships changed (enable/disable) and the table must be
    /// republished.
    private var tableIsStale = false
    /// Set by every event that may change a membership or a MAC: only then is the table rebuilt.
    private var membershipsChanged = true

    /// The latest MAC heard for each host, from the kernel's neighbour table or the host's own
    /// IGMP frames, whichever spoke last: a MAC change follows at once from either.
    private var latestMACs: [NeighbourKey: MACAddress] = [:]
    /// Hosts whose neighbour entry failed (the kernel could not reach them): no copies until they
    /// are heard from again.
    private var failedNeighbours: Set<NeighbourKey> = []
    private var neighbourFailures: UInt64 = 0
    private let statePath: String
    private var lastSaved: SavedState?
    private var lastSaveAt = -Double.infinity
    private var saveFailing = false
    private var stateSavingDisabled = false
    static let resolutionsPerTurn = 64
    /// How often refreshed timers are written even when nothing else changed.
    static let saveInterval = 30.0
    /// Static members still without a MAC: when to ask the kernel again, and how often we have.
    private var pendingResolution: [NeighbourKey: (attempts: Int, nextAt: Double)] = [:]
    /// Members whose missing MAC was already logged (once per member until it resolves).
    private var reportedUnresolved: Set<NeighbourKey> = []
    private var lastMemberships: [Membership] = []

    init(loaded: LoadedConfig, log: Log) throws(DaemonError) {
        let config = loaded.config
        self.loaded = loaded
        self.config = config
        self.log = log
        // Interfaces first: the most common mistake gets the first, plainest error.
        var infos: [InterfaceInfo] = []
        let probe: Int32
        do { probe = try Syscall.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) } catch {
            throw DaemonError("cannot open a socket: \(error)")
        }
        defer { Syscall.close(probe) }
        for name in config.interfaces {
            let index: Int32
            do { index = try Syscall.interfaceIndex(name) } catch {
                throw DaemonError("no such interface: \(name)")
            }
            let mac: MACAddress
            do { mac = MACAddress(bytes: try Syscall.interfaceMAC(name, using: probe)) } catch {
                throw DaemonError("interface \(name): cannot read its MAC address: \(error.message)")
            }
            guard mac.isUnicast else { throw DaemonError("interface \(name) has no Ethernet address (is it an Ethernet or Wi-Fi interface?)") }
            infos.append(InterfaceInfo(name: name, index: index, mac: mac))
        }
        interfaces = infos
        table = TableCell(ForwardingTable.build(enabled: config.enabled, maxClients: config.maxClients,
                                                interfaces: infos, memberships: [], previous: nil))
        do { signals = try Syscall.signalFileDescriptor() } catch {
            throw DaemonError("cannot set up signal handling: \(error)")
        }
        do { neighbours = try NeighbourWatch() } catch {
            throw DaemonError("cannot open rtnetlink: \(error)")
        }
        snooping = try Snooping(interfaces: infos, config: config, log: log)
        bridgePorts = try BridgePortWatch(config: config, interfaces: infos, log: log)
        statePath = config.stateFile
        for queueNumber in config.queues {
            var senders: [PacketSender] = []
            for info in infos + bridgePorts.senderInterfaces {
                do { senders.append(try PacketSender(interface: info)) } catch {
                    if error.errno == EPERM || error.errno == EACCES {
                        throw DaemonError("cannot open an AF_PACKET socket on \(info.name): permission denied (mutd needs CAP_NET_RAW and CAP_NET_ADMIN: run it as root)")
                    }
                    throw DaemonError("cannot open an AF_PACKET socket on \(info.name): \(error)")
                }
            }
            let queue: NetfilterQueue
            do { queue = try NetfilterQueue(queue: queueNumber) } catch {
                throw DaemonError(error.description)
            }
            dataPlanes.append(DataPlane(queue: queue, senders: senders, table: table, counters: counters, stopFlag: stopFlag))
        }
        do {
            control = try ControlServer(configuration: ControlServerConfiguration(path: config.socketPath, groupName: config.socketGroup))
        } catch {
            throw DaemonError(error.description)
        }
    }

    /// Runs until a signal stops it. Throws when a data-plane thread died: mutd then exits
    /// non-zero, so that a supervisor restarts it (the queue bypass carries traffic meanwhile).
    func run(droppingTo account: Privileges.Account? = nil) throws(DaemonError) {
        // Every socket is open by now; capabilities are per thread, so drop before starting any.
        if let account {
            let directory = statePath.contains("/") ? String(statePath[..<statePath.lastIndex(of: "/")!]) : "."
            if !Privileges.canWrite(directory: directory.isEmpty ? "/" : directory, as: account) {
                log.warning("state file \(statePath): \(account.name) may not write in \(directory), so learned state will not be saved for a restart (give it a directory of its own: --state-file, or systemd's RuntimeDirectory with User=)")
                stateSavingDisabled = true
            }
            do { try Privileges.drop(to: account) } catch { throw DaemonError("cannot drop privileges: \(error)") }
            log.info("running as \(account.name) (uid \(account.uid), gid \(account.gid)) with CAP_NET_ADMIN and CAP_NET_RAW only")
        }
        do { try neighbours.requestDump() } catch { log.warning("cannot read the neighbour table: \(error)") }
        readNeighbourEvents()
        restoreState(now: Syscall.monotonicSeconds())
        rebuild(now: Syscall.monotonicSeconds())
        for plane in dataPlanes {
            do {
                threads.append(try DaemonThread(name: "mutd-q\(plane.queueNumber)") { plane.run() })
            } catch {
                stopFlag.stop()
                threads.forEach { $0.join() }
                throw DaemonError("cannot start the data-plane thread: \(error)")
            }
        }
        log.info("ready: queue \(config.queues.map(String.init).joined(separator: ",")), interfaces \(interfaces.map { "\($0.name) (\($0.mac))" }.joined(separator: ", ")), \(config.staticSubscribers.count) static subscriber(s), translation \(config.enabled ? "on" : "off")")
        loop()
        saveState(now: Syscall.monotonicSeconds(), force: true)
        control?.shutdown()
        stopFlag.stop()
        threads.forEach { $0.join() }
        let failed = dataPlanes.filter { $0.lastError != nil }
        log.info("stopped: \(counters.packets.load(ordering: .relaxed)) packets, \(counters.copies.load(ordering: .relaxed)) copies, \(counters.dropped.load(ordering: .relaxed)) dropped, \(counters.passedTotal) passed")
        if let plane = failed.first {
            throw DaemonError("queue \(plane.queueNumber) stopped: \(plane.lastError!)")
        }
    }

    private func loop() {
        let own = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: neighbours.fd, events: Int16(POLLIN), revents: 0)] + snooping.pollDescriptors
            + bridgePorts.pollDescriptors
        while true {
            var fds = own + (control?.pollDescriptors() ?? [])
            let controlTimeout = control?.timeoutMilliseconds() ?? -1
            var timeout: Int32 = controlTimeout < 0 ? 250 : min(250, controlTimeout)
            if let deadline = snooping.nextDeadline() {
                let ms = max(0, (deadline - Syscall.monotonicSeconds()) * 1000).rounded(.up)
                timeout = min(timeout, Int32(min(ms, 250)))
            }
            do { _ = try fds.withUnsafeMutableBufferPointer { buffer throws(SystemError) in
                try Syscall.poll(buffer.baseAddress!, buffer.count, timeoutMilliseconds: timeout)
            } } catch {
                log.error("\(error)")
                return
            }
            if fds[0].revents != 0, handleSignals() == .stop { return }
            if fds[1].revents != 0 { readNeighbourEvents() }
            let now = Syscall.monotonicSeconds()
            learn(from: snooping.process(Array(fds[2..<own.count]), now: now))
            if bridgePorts.process(Array(fds[2..<own.count]), now: now) { tableIsStale = true; membershipsChanged = true }
            learn(from: snooping.tick(now: now, neighbours: knownNeighbours))
            control?.process(Array(fds[own.count...]), handler: self)
            resolvePending(now: now)
            if membershipsChanged { rebuild(now: now) }
            if now - lastSaveAt >= Self.saveInterval { saveState(now: now, force: false) }
            if threads.count > 0, dataPlanes.contains(where: { $0.lastError != nil }) {
                log.error("a data-plane thread stopped; exiting so that the queue bypass takes over")
                return
            }
        }
    }

    private enum SignalOutcome { case stop, carryOn }

    private func handleSignals() -> SignalOutcome {
        var outcome = SignalOutcome.carryOn
        while let signal = Syscall.readSignal(signals) {
            switch signal {
            case SIGINT, SIGTERM:
                log.info("signal \(signal): stopping")
                outcome = .stop
            case SIGHUP:
                reload()
            default: break
            }
        }
        return outcome
    }

    /// SIGHUP: reads the config file again. Learned state and `mutctl add` entries are kept;
    /// settings that need new sockets (interfaces, queues, socket) need a restart.
    private func reload() {
        guard let path = loaded.path else {
            log.info("SIGHUP: no --config file to reload")
            return
        }
        let next: LoadedConfig
        do { next = try LoadedConfig.load(path: path, flags: loaded.flags) } catch {
            log.error("SIGHUP: \(error.description); keeping the running configuration")
            return
        }
        if next.config.interfaces != config.interfaces || next.config.bridgePorts != config.bridgePorts
            || next.config.queues != config.queues
            || next.config.socketPath != config.socketPath || next.config.socketGroup != config.socketGroup {
            log.warning("SIGHUP: interface, queue and socket changes take effect at the next start")
        }
        loaded = next
        log.level = next.logLevel
        config.maxClients = next.config.maxClients
        config.enabled = next.config.enabled
        config.staticSubscribers = next.config.staticSubscribers
        config.membership = next.config.membership
        config.querier = next.config.querier
        config.querierVersion = next.config.querierVersion
        snooping.update(config: config, log: log)
        for entry in runtimeStatics where !config.staticSubscribers.contains(entry) {
            config.staticSubscribers.append(entry)
        }
        tableIsStale = true
        rebuild(now: Syscall.monotonicSeconds())
        log.info("SIGHUP: reloaded \(path): \(config.staticSubscribers.count) static subscriber(s), max-clients \(config.maxClients.map(String.init) ?? "none"), translation \(config.enabled ? "on" : "off")")
    }

    private func readNeighbourEvents() {
        let events: [NeighbourEvent]
        do { events = try neighbours.readEvents() } catch {
            log.warning("rtnetlink: \(error)")
            return
        }
        for event in events {
            let key = NeighbourKey(interfaceIndex: event.interfaceIndex, address: event.address)
            if event.isFailed {
                if failedNeighbours.insert(key).inserted {
                    membershipsChanged = true
                    neighbourFailures &+= 1
                    if isMember(key) {
                        log.warning("neighbour \(event.address) failed (unreachable): no more copies to it; its groups pass as plain multicast while it is a member")
                    }
                }
            } else if let mac = event.mac {
                if let old = latestMACs[key], old != mac, isMember(key) {
                    log.info("neighbour \(event.address) changed MAC \(old) -> \(mac): copies follow")
                }
                if latestMACs.updateValue(mac, forKey: key) != mac { membershipsChanged = true }
                if failedNeighbours.remove(key) != nil {
                    membershipsChanged = true
                    if isMember(key) { log.info("neighbour \(event.address) is reachable again at \(mac)") }
                }
            }
            // A deleted entry keeps its last MAC: the kernel forgets idle neighbours, the client
            // may still be watching.
        }
    }

    /// Hosts on `interface` with a usable MAC, from the neighbour table and IGMP frames.
    private func knownNeighbours(on interface: String) -> [(IPv4Address, MACAddress)] {
        guard let index = interfaceIndex(interface) else { return [] }
        return latestMACs.compactMap { key, mac in
            key.interfaceIndex == index && !failedNeighbours.contains(key) ? (key.address, mac) : nil
        }
    }

    private func isMember(_ key: NeighbourKey) -> Bool {
        lastMemberships.contains { $0.host == key.address && interfaceIndex($0.interface) == key.interfaceIndex }
    }

    private func interfaceIndex(_ name: String) -> Int32? {
        interfaces.first { $0.name == name }?.index
    }

    /// A host's own IGMP frames tell its MAC, and that it is there.
    private func learn(from actions: [MembershipAction]) {
        if !actions.isEmpty { membershipsChanged = true }
        for action in actions {
            switch action {
            case .joined(let key, let mac, _, _), .macChanged(let key, let mac):
                guard let index = interfaceIndex(key.interface) else { continue }
                let neighbour = NeighbourKey(interfaceIndex: index, address: key.host)
                latestMACs[neighbour] = mac
                failedNeighbours.remove(neighbour)
            case .refreshed(let key):
                guard let index = interfaceIndex(key.interface) else { continue }
                failedNeighbours.remove(NeighbourKey(interfaceIndex: index, address: key.host))
            default:
                break
            }
        }
    }

    /// Members with no usable MAC: ask the kernel to resolve them (ARP), every second at first,
    /// then every ten.
    private func resolvePending(now: Double) {
        // Bounded per turn: thousands of unresolved subscribers must not become a burst of
        // thousands of netlink requests (and ARP requests on the LAN) every second.
        for (key, state) in pendingResolution.lazy.filter({ $0.value.nextAt <= now }).prefix(Self.resolutionsPerTurn) {
            do { try neighbours.requestResolution(of: key.address, interfaceIndex: key.interfaceIndex) } catch {
                log.debug("cannot ask the kernel to resolve \(key.address): \(error)")
            }
            pendingResolution[key] = (state.attempts + 1, now + (state.attempts < 10 ? 1 : 10))
        }
    }

    private func currentMemberships() -> [Membership] {
        var result: [Membership] = []
        for entry in config.staticSubscribers {
            guard let name = entry.interface else { continue }
            result.append(Membership(interface: name, group: entry.group, host: entry.client))
        }
        result += snooping.table.memberships
        for i in result.indices {
            guard let index = interfaceIndex(result[i].interface) else { continue }
            let key = NeighbourKey(interfaceIndex: index, address: result[i].host)
            result[i].mac = failedNeighbours.contains(key) ? nil : (latestMACs[key] ?? result[i].mac)
        }
        return result
    }

    /// Rebuilds and publishes the table when the memberships changed.
    private func rebuild(now: Double) {
        membershipsChanged = false
        let memberships = currentMemberships()
        lastMemberships = memberships
        let forwarding = memberships.map(ForwardingEntry.init)
        guard forwarding != lastForwarding || tableIsStale else { return }
        tableIsStale = false
        lastForwarding = forwarding
        saveState(now: now, force: true)
        for member in memberships {
            guard let index = interfaceIndex(member.interface) else { continue }
            let key = NeighbourKey(interfaceIndex: index, address: member.host)
            if member.mac == nil {
                if pendingResolution[key] == nil { pendingResolution[key] = (0, now) }
                if reportedUnresolved.insert(key).inserted {
                    log.warning("client \(member.host) on \(member.interface): MAC unknown, resolving; group \(member.group) passes as plain multicast until it is known")
                }
            } else {
                pendingResolution[key] = nil
                if reportedUnresolved.remove(key) != nil {
                    log.info("client \(member.host) on \(member.interface) is at \(member.mac!)")
                }
            }
        }
        let next = ForwardingTable.build(enabled: config.enabled, maxClients: config.maxClients,
                                         interfaces: interfaces, memberships: memberships, previous: table.load(),
                                         bridgePorts: bridgePorts.ports, locations: bridgePorts.locations)
        table.publish(next)
        // The previous snapshot and the build's temporaries are freed by now: give the pages back,
        // so that resident memory follows the table rather than its high-water mark.
        Syscall.releaseFreeMemory()
        log.debug("table: \(next.routes.count) group route(s), \(memberships.count) membership(s)")
    }
}

extension Daemon: ControlHandler {
    func handle(_ request: ControlRequest, peer: PeerCredentials) -> ControlResponse {
        switch request {
        case .status: return .status(statusReport())
        case .groups: return .groups(groupsReport())
        case .metrics: return .metrics(statusReport(), groupsReport())
        case .enable, .disable:
            let enable = request == .enable
            let changed = config.enabled != enable
            config.enabled = enable
            if changed {
                tableIsStale = true
                rebuild(now: Syscall.monotonicSeconds())
                log.info("translation \(enable ? "enabled" : "disabled") by uid \(peer.uid)")
            }
            return .done("translation \(enable ? "enabled" : "disabled")\(changed ? "" : " (it already was)")")
        case .add(let entry), .del(let entry):
            var resolved = entry
            if let name = entry.interface {
                guard config.interfaces.contains(name) else {
                    return .refused("interface \(name) is not served by mutd (it serves \(config.interfaces.joined(separator: ", ")))")
                }
            } else if config.interfaces.count == 1 {
                resolved.interface = config.interfaces[0]
            } else {
                return .refused("mutd serves several interfaces: name one with --interface")
            }
            if case .add = request {
                if config.staticSubscribers.contains(resolved) { return .done("\(resolved) is already a static subscriber") }
                config.staticSubscribers.append(resolved)
                runtimeStatics.append(resolved)
                log.info("static subscriber \(resolved) added by uid \(peer.uid)")
                rebuild(now: Syscall.monotonicSeconds())
                return .done("added static subscriber \(resolved)")
            }
            guard let index = config.staticSubscribers.firstIndex(of: resolved) else {
                return .refused("no static subscriber \(resolved)")
            }
            config.staticSubscribers.remove(at: index)
            runtimeStatics.removeAll { $0 == resolved }
            log.info("static subscriber \(resolved) removed by uid \(peer.uid)")
            rebuild(now: Syscall.monotonicSeconds())
            return .done("removed static subscriber \(resolved)")
        }
    }

    private func statusReport() -> StatusReport {
        let now = Syscall.monotonicSeconds()
        var report = StatusReport(version: Mutd.version, enabled: config.enabled, interfaces: config.interfaces,
                                  queues: config.queues.map(Int.init), uptimeSeconds: Int64(now - startedAt))
        report.fill(from: counters)
        let stats = snooping.table.stats
        report.igmp = IGMPMessageCounts(stats)
        report.refusedEntries = stats.refusedTotal
        report.neighbourFailures = neighbourFailures
        report.queriesSent = snooping.queriesSent
        report.perHostQueriesSent = snooping.perHostQueriesSent
        if let text = Syscall.readTextFile("/proc/net/netfilter/nfnetlink_queue") {
            report.queueDrops = QueueStatistics.parse(text).filter { config.queues.contains($0.queue) }.reduce(0) { $0 &+ $1.drops }
        }
        let snapshot = table.load()
        report.groups = snapshot.routes.values.filter { $0.bridge == nil }.count  // a port's routes repeat its bridge's
        report.clients = Set(lastMemberships.map { "\($0.interface) \($0.host)" }).count
        return report
    }

    private func groupsReport() -> GroupsReport {
        GroupsReport(table: table.load(), memberships: lastMemberships, now: Syscall.monotonicSeconds())
    }
}

extension Daemon {
    /// Hitless restart: IGMP memberships and runtime static subscribers saved before a stop (or
    /// a crash: the file is rewritten on every change) are put back, so copies resume at once.
    private func restoreState(now: Double) {
        guard let text = Syscall.readTextFile(statePath) else { return }
        let saved: SavedState
        do { saved = try SavedState(json: text) } catch {
            log.warning("ignoring state file \(statePath): \(error.description)")
            return
        }
        guard saved.bootID == Self.bootID() else {
            log.info("state file \(statePath) is from another boot: starting afresh")
            return
        }
        learn(from: snooping.restore(saved, now: now))
        for entry in saved.runtimeStatics where entry.interface.map(config.interfaces.contains) == true {
            if !config.staticSubscribers.contains(entry) { config.staticSubscribers.append(entry) }
            if !runtimeStatics.contains(entry) { runtimeStatics.append(entry) }
        }
    }

    /// Writes the state file when it would say something new (`force`), or when timers were
    /// refreshed since the last write; atomically (write, fsync, rename).
    func saveState(now: Double, force: Bool) {
        if stateSavingDisabled { return }
        let state = SavedState(
            bootID: Self.bootID(), savedAt: now, memberships: snooping.table.memberships,
            heldInterfaces: config.interfaces.filter { snooping.table.expiryIsHeld(interface: $0) },
            runtimeStatics: runtimeStatics)
        var comparable = state
        comparable.savedAt = lastSaved?.savedAt ?? 0
        guard comparable != lastSaved else {
            lastSaveAt = now
            return
        }
        if !force && now - lastSaveAt < Self.saveInterval { return }
        do {
            try Syscall.writeFileAtomically(statePath, state.json.serialized + "\n")
            if saveFailing { log.info("state file \(statePath) written again") }
            saveFailing = false
            lastSaved = state
            lastSaveAt = now
        } catch {
            if !saveFailing { log.warning("cannot save state to \(statePath): \(error) (a restart will relearn from IGMP)") }
            saveFailing = true
            lastSaveAt = now
        }
    }

    /// This boot's id: monotonic times in a state file mean something only within it.
    static func bootID() -> String { currentBootID }

    private static let currentBootID =
        String((Syscall.readTextFile("/proc/sys/kernel/random/boot_id") ?? "unknown").filter { !$0.isWhitespace })
}
