import MUTCore
import MUTLinux

/// What the daemon reads: each readable descriptor's messages, handed to the control plane
/// with the time.
extension Daemon {
    func readFrames(_ snooper: IGMPSnooper) {
        let name = snooper.interface.name
        do {
            try snooper.readFrames { frame, outgoing, _ in
                core.heard(frame: frame, interface: name, direction: outgoing ? .outgoing : .incoming, now: Syscall.monotonicSeconds())
            }
        } catch { log.warning("IGMP snooping on \(name): \(error)") }
    }

    func readPortFrames(_ tap: IGMPSnooper) {
        let port = tap.interface
        do {
            try tap.readFrames { frame, _, tagControl in
                core.heardOnBridgePort(frame: frame, portIndex: port.index, tagControl: tagControl, now: Syscall.monotonicSeconds())
            }
        } catch { log.warning("IGMP on bridge port \(port.name): \(error)") }
    }

    func readStationEvents(_ watch: StationWatch) {
        do {
            for event in try watch.readEvents() {
                let served = StationWatch.servedInterface(apIndex: event.interfaceIndex, among: sockets.interfaces)
                core.station(event, on: served, now: Syscall.monotonicSeconds())
            }
        } catch { log.warning("nl80211: \(error)") }
    }

    /// Starts a round of station dumps when one is due (never waits for the kernel).
    func pollStations(_ poll: StationPoll) {
        let now = Syscall.monotonicSeconds()
        store(poll.tick(now: now, interval: core.config.stationPollInterval), now: now)
        if let error = poll.sendError, !stationPollFailing {
            log.warning("nl80211 station dump: \(error) (radio telemetry paused until it works again)")
        }
        stationPollFailing = poll.sendError != nil
    }

    func readStationSamples(_ poll: StationPoll) {
        let now = Syscall.monotonicSeconds()
        do { store(try poll.readAnswers(now: now), now: now) } catch { log.warning("nl80211 station dump: \(error)") }
    }

    private func store(_ samples: [StationPoll.Sample], now: Double) {
        for sample in samples { core.stationRadios(sample.radios, apInterfaceIndex: sample.apInterfaceIndex, now: now) }
    }

    func readNeighbourEvents() {
        do {
            for event in try sockets.neighbours.readEvents() { core.neighbour(event, now: Syscall.monotonicSeconds()) }
        } catch { log.warning("rtnetlink: \(error)") }
    }
}
