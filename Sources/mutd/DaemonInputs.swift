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

    func readNeighbourEvents() {
        do {
            for event in try sockets.neighbours.readEvents() { core.neighbour(event, now: Syscall.monotonicSeconds()) }
        } catch { log.warning("rtnetlink: \(error)") }
    }
}
