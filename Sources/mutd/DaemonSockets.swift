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

/// Every descriptor mutd needs, opened before privileges are dropped; each failure becomes one
/// line naming its cause (the most common mistake, a wrong interface name, first).
struct DaemonSockets {
    let interfaces: [ServedInterface]
    let signals: Int32
    let neighbours: NeighbourWatch
    let snoopers: [IGMPSnooper]
    let dataPlanes: [DataPlane]
    let control: ControlServer
    let bridgePorts: BridgePortSockets
    /// nl80211 station events; nil where the router has no Wi-Fi (mutd works as without).
    let stations: StationWatch?
    /// nl80211 station dumps (radio telemetry); nil where the router has no Wi-Fi.
    let stationPoll: StationPoll?
    /// The HTTP `/metrics` endpoint (`--metrics-listen`); nil when off (the default).
    let metrics: MetricsServer?

    init(config: DaemonConfig, table: TableCell, counters: DataPlaneCounters, stopFlag: StopFlag) throws(DaemonError) {
        let probe: Int32
        do { probe = try Syscall.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) } catch {
            throw DaemonError("cannot open a socket: \(error)")
        }
        defer { Syscall.close(probe) }
        var served: [ServedInterface] = []
        for name in config.interfaces {
            let index: Int32
            do { index = try Syscall.interfaceIndex(name) } catch { throw DaemonError("no such interface: \(name)") }
            let mac: MACAddress
            do { mac = MACAddress(bytes: try Syscall.interfaceMAC(name, using: probe)) } catch {
                throw DaemonError("interface \(name): cannot read its MAC address: \(error.message)")
            }
            guard mac.isUnicast else { throw DaemonError("interface \(name) has no Ethernet address (is it an Ethernet or Wi-Fi interface?)") }
            served.append(ServedInterface(name: name, index: index, mac: mac, address: Syscall.interfaceIPv4(name, using: probe),
                                          linkLocal: Syscall.interfaceIPv6LinkLocal(name)))
        }
        interfaces = served
        let infos = served.map { InterfaceInfo(name: $0.name, index: $0.index, mac: $0.mac) }
        do { signals = try Syscall.signalFileDescriptor() } catch { throw DaemonError("cannot set up signal handling: \(error)") }
        do { neighbours = try NeighbourWatch() } catch { throw DaemonError("cannot open rtnetlink: \(error)") }
        switch try? StationWatch.open() {
        case .watching(let watch): stations = watch
        case .noNL80211, nil: stations = nil
        }
        stationPoll = try? StationPoll.open { [served] apIndex in
            StationWatch.servedInterface(apIndex: apIndex, among: served) != nil
        }
        var snoopers: [IGMPSnooper] = []
        for info in infos {
            do { snoopers.append(try IGMPSnooper(interface: info)) } catch {
                throw Self.packetSocketError("cannot snoop IGMP on \(info.name)", error)
            }
        }
        self.snoopers = snoopers
        bridgePorts = try BridgePortSockets(config: config, interfaces: infos)
        var planes: [DataPlane] = []
        for queueNumber in config.queues {
            var senders: [PacketSender] = []
            for info in infos + bridgePorts.senderInterfaces {
                do { senders.append(try PacketSender(interface: info)) } catch {
                    throw Self.packetSocketError("cannot open an AF_PACKET socket on \(info.name)", error)
                }
            }
            let queue: NetfilterQueue
            do { queue = try NetfilterQueue(queue: queueNumber) } catch { throw DaemonError(error.description) }
            planes.append(DataPlane(queue: queue, senders: senders, table: table, counters: counters, stopFlag: stopFlag))
        }
        dataPlanes = planes
        do {
            control = try ControlServer(configuration: ControlServerConfiguration(path: config.socketPath, groupName: config.socketGroup))
        } catch { throw DaemonError(error.description) }
        if let address = config.metrics.listen {
            do { metrics = try MetricsServer(configuration: MetricsServerConfiguration(address: address)) } catch {
                throw DaemonError(error.description)
            }
        } else {
            metrics = nil
        }
    }

    private static func packetSocketError(_ what: String, _ error: SystemError) -> DaemonError {
        if error.errno == EPERM || error.errno == EACCES {
            return DaemonError("\(what): permission denied (mutd needs CAP_NET_RAW and CAP_NET_ADMIN: run it as root)")
        }
        return DaemonError("\(what): \(error)")
    }

    var infos: [InterfaceInfo] { interfaces.map { InterfaceInfo(name: $0.name, index: $0.index, mac: $0.mac) } }

    func snooper(on interface: String) -> IGMPSnooper? { snoopers.first { $0.interface.name == interface } }
}
