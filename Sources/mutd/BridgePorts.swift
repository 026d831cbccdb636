import MUTCore
import MUTLinux
#if canImport(Glibc)
import Glibc
#endif

/// Bridged mode (`--bridge-port`): finds each named port's bridge among the served interfaces,
/// and watches the IGMP frames each port receives to learn which hosts sit behind it and with
/// which VLAN tag (PortLocations, pure core). The memberships themselves are still learned on
/// the served interface (the bridge, or a VLAN device on it).
final class BridgePortWatch {
    let ports: [BridgePort]
    private(set) var locations = PortLocations()
    private let taps: [IGMPSnooper]
    private var log: Log

    init(config: DaemonConfig, interfaces: [InterfaceInfo], log: Log) throws(DaemonError) {
        self.log = log
        var ports: [BridgePort] = []
        var taps: [IGMPSnooper] = []
        for name in config.bridgePorts {
            let index: Int32
            do { index = try Syscall.interfaceIndex(name) } catch { throw DaemonError("no such interface: \(name) (--bridge-port)") }
            guard let bridge = Syscall.bridgeMaster(of: name) else {
                throw DaemonError("--bridge-port \(name): \(name) is not a port of a bridge")
            }
            let served = interfaces.filter { $0.name == bridge || Syscall.isStacked($0.name, on: bridge) }
            guard let first = served.first else {
                throw DaemonError("--bridge-port \(name): its bridge \(bridge) is not served: add --interface \(bridge) (or a VLAN device on it)")
            }
            let port = InterfaceInfo(name: name, index: index, mac: first.mac)
            do { taps.append(try IGMPSnooper(interface: port, bridgePort: true)) } catch {
                throw DaemonError("cannot watch IGMP on bridge port \(name): \(error)")
            }
            ports.append(BridgePort(port: port, servedInterfaces: served.map(\.name)))
            log.info("bridge port \(name) of \(bridge): what the bridge forwards out of it is translated there, for members of \(served.map(\.name).joined(separator: ", "))")
        }
        self.ports = ports
        self.taps = taps
    }

    /// The ports, as interfaces the data plane sends copies out of.
    var senderInterfaces: [InterfaceInfo] { ports.map(\.port) }

    var pollDescriptors: [pollfd] { taps.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) } }

    /// Reads the polled taps (others in `polled` are not ours) and forgets hosts not heard for a
    /// while; true when a host's port or VLAN changed, so that the table must be rebuilt.
    func process(_ polled: [pollfd], now: Double) -> Bool {
        var changed = locations.expire(now: now)
        for entry in polled where entry.revents != 0 {
            guard let tap = taps.first(where: { $0.fd == entry.fd }) else { continue }
            let port = tap.interface
            do {
                try tap.readTaggedFrames { frame, tagControl in
                    guard let packet = try? IGMPPacket.parse(frame: frame) else { return }
                    // The kernel usually takes the tag out of the frame (tagControl); a tag left in
                    // the frame is read by the parser.
                    let vlan = PortLocations.vlanID(tagControl: tagControl) ?? packet.ethernet.vlanID.flatMap { $0 == 0 ? nil : $0 }
                    if locations.record(mac: packet.senderMAC, portIndex: port.index, vlanID: vlan, now: now) {
                        changed = true
                        log.info("bridge port \(port.name): \(packet.senderIP) (\(packet.senderMAC)) is behind it\(vlan.map { ", VLAN \($0)" } ?? ", untagged")")
                    }
                }
            } catch {
                log.warning("IGMP on bridge port \(port.name): \(error)")
            }
        }
        return changed
    }
}
