import MUTCore
import MUTLinux
#if canImport(Glibc)
import Glibc
#endif

/// mutd's shell: reads descriptors, feeds the control plane (pure, `MUTCore.ControlPlane`) its
/// events with the time, and carries out the effects it returns. The data-plane threads read
/// the published table; nothing here decides anything.
final class Daemon {
    private var loaded: LoadedConfig
    var log: Log
    var core: ControlPlane
    let sockets: DaemonSockets
    let counters = DataPlaneCounters()
    let table = TableCell(.empty())
    private let stopFlag = StopFlag()
    private var threads: [DaemonThread] = []
    let startedAt = Syscall.monotonicSeconds()
    private var stateSavingDisabled = false
    private var saveFailing = false
    /// A station dump request failing is logged once, until one goes through again.
    var stationPollFailing = false

    /// What a readable descriptor is: one entry per descriptor, looked up by number.
    private enum Source {
        case signals, neighbours
        case snooper(IGMPSnooper)
        case bridgePort(IGMPSnooper)
        case stations(StationWatch)
        case stationPoll(StationPoll)
    }
    private let sources: [Int32: Source]

    /// From the configuration as last (re)loaded: SIGHUP turns per-client series on or off.
    var metricsPerClient: Bool { loaded.config.metrics.perClient }

    init(loaded: LoadedConfig, log: Log) throws(DaemonError) {
        self.loaded = loaded
        self.log = log
        sockets = try DaemonSockets(config: loaded.config, table: table, counters: counters, stopFlag: stopFlag)
        core = ControlPlane(config: loaded.config, interfaces: sockets.interfaces, bridgePorts: sockets.bridgePorts.ports,
                            bootID: Self.bootID)
        var sources: [Int32: Source] = [sockets.signals: .signals, sockets.neighbours.fd: .neighbours]
        for snooper in sockets.snoopers { sources[snooper.fd] = .snooper(snooper) }
        for tap in sockets.bridgePorts.taps { sources[tap.fd] = .bridgePort(tap) }
        if let stations = sockets.stations { sources[stations.fd] = .stations(stations) }
        if let poll = sockets.stationPoll { sources[poll.fd] = .stationPoll(poll) }
        self.sources = sources
    }

    /// Runs until a signal stops it. Throws when a data-plane thread died: mutd then exits
    /// non-zero, so that a supervisor restarts it (the queue bypass carries traffic meanwhile).
    func run(droppingTo account: Privileges.Account? = nil) throws(DaemonError) {
        let statePath = loaded.config.stateFile
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
        do { try sockets.neighbours.requestDump() } catch { log.warning("cannot read the neighbour table: \(error)") }
        readNeighbourEvents()
        core.start(savedState: Syscall.readTextFile(statePath), now: Syscall.monotonicSeconds())
        perform(core.takeEffects())
        for plane in sockets.dataPlanes {
            do { threads.append(try DaemonThread(name: "mutd-q\(plane.queueNumber)") { plane.run() }) } catch {
                stopFlag.stop()
                threads.forEach { $0.join() }
                throw DaemonError("cannot start the data-plane thread: \(error)")
            }
        }
        let config = core.config
        sockets.bridgePorts.summary.forEach { log.info($0) }
        if let metrics = sockets.metrics {
            log.info("metrics: http://\(metrics.configuration.address)/metrics (at most \(metrics.configuration.maximumConnections) connections)")
        }
        if sockets.stations == nil {
            log.info("no nl80211 here (no Wi-Fi access point driver): station events and radio telemetry off, memberships follow IGMP and the neighbour table only")
        } else if sockets.stationPoll == nil {
            log.warning("nl80211: cannot open a socket for station dumps: no radio telemetry for Wi-Fi clients")
        } else if config.stationPollInterval > 0 {
            log.info("sampling the Wi-Fi stations of served access points every \(config.stationPollInterval.plainDescription) s (nl80211)")
        }
        log.info("ready: queue \(config.queues.map(String.init).joined(separator: ",")), interfaces \(sockets.interfaces.map { "\($0.name) (\($0.mac))" }.joined(separator: ", ")), \(config.staticSubscribers.count) static subscriber(s), translation \(config.enabled ? "on" : "off")")
        loop()
        perform([.saveState(core.snapshot(now: Syscall.monotonicSeconds()))])
        sockets.control.shutdown()
        sockets.metrics?.shutdown()
        stopFlag.stop()
        threads.forEach { $0.join() }
        log.info("stopped: \(counters.packets.load(ordering: .relaxed)) packets, \(counters.copies.load(ordering: .relaxed)) copies, \(counters.dropped.load(ordering: .relaxed)) dropped, \(counters.passedTotal) passed")
        if let plane = sockets.dataPlanes.first(where: { $0.lastError != nil }) {
            throw DaemonError("queue \(plane.queueNumber) stopped: \(plane.lastError!)")
        }
    }

    private func loop() {
        let own = sources.keys.sorted().map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        while true {
            var fds = own + sockets.control.pollDescriptors() + (sockets.metrics?.pollDescriptors() ?? [])
            var timeout: Int32 = 250
            for serverTimeout in [sockets.control.timeoutMilliseconds(), sockets.metrics?.timeoutMilliseconds() ?? -1]
            where serverTimeout >= 0 {
                timeout = min(timeout, serverTimeout)
            }
            if let deadline = core.nextDeadline() {
                timeout = min(timeout, Int32(min(250, max(0, (deadline - Syscall.monotonicSeconds()) * 1000).rounded(.up))))
            }
            do { _ = try fds.withUnsafeMutableBufferPointer { buffer throws(SystemError) in
                try Syscall.poll(buffer.baseAddress!, buffer.count, timeoutMilliseconds: timeout)
            } } catch {
                log.error("\(error)")
                return
            }
            var controlReady: [pollfd] = []  // the control socket's and the metrics endpoint's
            for entry in fds where entry.revents != 0 {
                switch sources[entry.fd] {
                case .signals: if handleSignals() == .stop { return }
                case .neighbours: readNeighbourEvents()
                case .snooper(let snooper): readFrames(snooper)
                case .bridgePort(let tap): readPortFrames(tap)
                case .stations(let watch): readStationEvents(watch)
                case .stationPoll(let poll): readStationSamples(poll)
                case nil: controlReady.append(entry)
                }
            }
            sockets.control.process(controlReady, handler: self)
            if let poll = sockets.stationPoll { pollStations(poll) }
            sockets.metrics?.process(controlReady) { metricsExposition() }
            core.tick(now: Syscall.monotonicSeconds())
            perform(core.takeEffects())
            if !threads.isEmpty, sockets.dataPlanes.contains(where: { $0.lastError != nil }) {
                log.error("a data-plane thread stopped; exiting so that the queue bypass takes over")
                return
            }
        }
    }

    private enum SignalOutcome { case stop, carryOn }

    private func handleSignals() -> SignalOutcome {
        var outcome = SignalOutcome.carryOn
        while let signal = Syscall.readSignal(sockets.signals) {
            switch signal {
            case SIGINT, SIGTERM:
                log.info("signal \(signal): stopping")
                outcome = .stop
            case SIGHUP: reload()
            default: break
            }
        }
        return outcome
    }

    /// SIGHUP: reads the config file again and hands it to the control plane.
    private func reload() {
        guard let path = loaded.path else { return log.info("SIGHUP: no --config file to reload") }
        do { loaded = try LoadedConfig.load(path: path, flags: loaded.flags) } catch {
            return log.error("SIGHUP: \(error.description); keeping the running configuration")
        }
        log.level = loaded.logLevel
        if loaded.config.metrics.listen != sockets.metrics?.configuration.address {
            log.warning("SIGHUP: metrics-listen takes effect at the next start; still \(sockets.metrics.map { "listening on \($0.configuration.address)" } ?? "off")")
        }
        core.reload(loaded.config, from: path, now: Syscall.monotonicSeconds())
    }

    /// Carries out what the control plane asked for, in order.
    func perform(_ effects: [ControlEffect]) {
        for effect in effects {
            switch effect {
            case .log(let level, let message): log.write(level, message)
            case .publishTable(let inputs): publish(inputs)
            case .sendFrame(let interface, let frame, let kind):
                do { try sockets.snooper(on: interface)?.send(frame: frame) } catch {
                    log.warning("IGMP \(kind.rawValue) on \(interface): \(error)")
                }
            case .resolveNeighbour(let interface, let address):
                guard let index = sockets.interfaces.first(where: { $0.name == interface })?.index else { continue }
                do { try sockets.neighbours.requestResolution(of: address, interfaceIndex: index) } catch {
                    log.debug("cannot ask the kernel to resolve \(address): \(error)")
                }
            case .saveState(let state): save(state)
            }
        }
    }

    private func publish(_ inputs: TableInputs) {
        let next = ForwardingTable.build(enabled: inputs.enabled, maxClients: inputs.maxClients, interfaces: sockets.infos,
                                         memberships: inputs.memberships, previous: table.load(),
                                         bridgePorts: sockets.bridgePorts.ports, locations: inputs.portLocations,
                                         multicastStations: inputs.multicastStations)
        table.publish(next)
        // The previous snapshot and the build's temporaries are freed by now: give the pages back,
        // so that resident memory follows the table rather than its high-water mark.
        Syscall.releaseFreeMemory()
        log.debug("table: \(next.routes.count) group route(s), \(inputs.memberships.count) membership(s)")
    }

    /// Atomically (write, fsync, rename); a failure is logged once until a write works again.
    private func save(_ state: SavedState) {
        guard !stateSavingDisabled else { return }
        let path = loaded.config.stateFile
        do {
            try Syscall.writeFileAtomically(path, state.json.serialized + "\n")
            if saveFailing { log.info("state file \(path) written again") }
            saveFailing = false
        } catch {
            if !saveFailing { log.warning("cannot save state to \(path): \(error) (a restart will relearn from IGMP)") }
            saveFailing = true
        }
    }

    /// This boot's id: monotonic times in a state file mean something only within it.
    private static let bootID =
        String((Syscall.readTextFile("/proc/sys/kernel/random/boot_id") ?? "unknown").filter { !$0.isWhitespace })
}
