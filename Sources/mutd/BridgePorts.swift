import MUTCore
import MUTLinux

/// Bridged mode (`--bridge-port`): finds each named port's bridge among the served interfaces
/// and opens an IGMP listener on the port, so that the control plane learns which hosts sit
/// behind it and with which VLAN tag (`PortLocations`, pure core). Memberships themselves are
/// still learned on the served interface (the bridge, or a VLAN device on it).
struct BridgePortSockets {
    let ports: [BridgePort]
    let taps: [IGMPSnooper]
    /// What to log once the daemon runs: one line per port.
    let summary: [String]

    init(config: DaemonConfig, interfaces: [InterfaceInfo]) throws(DaemonError) {
        var ports: [BridgePort] = []
        var taps: [IGMPSnooper] = []
        var summary: [String] = []
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
            summary.append("bridge port \(name) of \(bridge): what the bridge forwards out of it is translated there, for members of \(served.map(\.name).joined(separator: ", "))")
        }
        self.ports = ports
        self.taps = taps
        self.summary = summary
    }

    /// The ports, as interfaces the data plane sends copies out of.
    var senderInterfaces: [InterfaceInfo] { ports.map(\.port) }
}
