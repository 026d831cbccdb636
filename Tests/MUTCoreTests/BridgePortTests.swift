import Testing
@testable import MUTCore

/// Bridged mode: routes per bridge port, built from the bridge's memberships and where each host
/// was heard; copies with the VLAN tag the port carries for the host.
@Suite struct BridgePortTests {
    let bridge = InterfaceInfo(name: "br-lan", index: 3, mac: MACAddress("02:aa:00:00:00:01")!)
    let wifi = InterfaceInfo(name: "wlan0", index: 5, mac: MACAddress("02:aa:00:00:00:01")!)
    let group = IPv4Address(239, 1, 1, 1)
    let source = IPv4Address(10, 10, 2, 2)
    let hostA = IPv4Address(10, 10, 2, 11)
    let hostB = IPv4Address(10, 10, 2, 12)
    let wired = IPv4Address(10, 10, 2, 14)
    let macA = MACAddress("02:00:00:00:02:11")!
    let macB = MACAddress("02:00:00:00:02:12")!
    let macWired = MACAddress("02:00:00:00:02:14")!

    var port: BridgePort { BridgePort(port: wifi, servedInterfaces: ["br-lan"]) }

    func members() -> [Membership] {
        [Membership(interface: "br-lan", group: group, host: hostA, mac: macA),
         Membership(interface: "br-lan", group: group, host: hostB, mac: macB),
         Membership(interface: "br-lan", group: group, host: wired, mac: macWired)]
    }

    func locations(_ entries: [(MACAddress, Int32, UInt16?)]) -> PortLocations {
        var l = PortLocations()
        for (mac, index, vlan) in entries { _ = l.record(mac: mac, portIndex: index, vlanID: vlan, now: 0) }
        return l
    }

    func table(_ l: PortLocations, memberships: [Membership]? = nil) -> ForwardingTable {
        ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [bridge], memberships: memberships ?? members(),
                              previous: nil, bridgePorts: [port], locations: l)
    }

    func packet() -> IPv4Summary { IPv4Summary(source: source, destination: group, totalLength: 100) }

    @Test func thePortRouteHoldsOnlyTheHostsHeardBehindThePort() {
        let t = table(locations([(macA, 5, nil), (macB, 5, nil)]))
        let (verdict, route) = t.decide(interfaceIndex: 3, physicalOutput: 5, packet: packet())
        #expect(verdict == .translate)
        #expect(route?.members.map(\.host) == v4(hostA, hostB))
        #expect(route?.interface.name == "wlan0")
        #expect(route?.bridge == "br-lan")
        // The routed view of the bridge still holds every member.
        #expect(t.decide(interfaceIndex: 3, packet: packet()).1?.members.count == 3)
    }

    @Test func whatLeavesAnotherPortOfTheBridgeStaysMulticast() {
        let t = table(locations([(macA, 5, nil), (macWired, 9, nil)]))
        #expect(t.decide(interfaceIndex: 3, physicalOutput: 9, packet: packet()).0 == .pass(.noMembers))
    }

    @Test func withNobodyHeardBehindThePortItsPacketsPass() {
        let t = table(PortLocations())
        #expect(t.decide(interfaceIndex: 3, physicalOutput: 5, packet: packet()).0 == .pass(.noMembers))
    }

    @Test func membersOfAnInterfaceThePortDoesNotServeAreLeftOut() {
        let other = [Membership(interface: "lan1", group: group, host: hostA, mac: macA)]
        let t = ForwardingTable.build(enabled: true, maxClients: nil,
                                      interfaces: [bridge, InterfaceInfo(name: "lan1", index: 4, mac: macWired)],
                                      memberships: other, previous: nil, bridgePorts: [port], locations: locations([(macA, 5, nil)]))
        #expect(t.routes[RouteKey(interfaceIndex: 5, group: group)] == nil)
    }

    @Test func taggedCopiesCarryTheVLANTheHostWasHeardWith() {
        let t = table(locations([(macA, 5, 10), (macB, 5, nil)]))
        let route = t.routes[RouteKey(interfaceIndex: 5, group: group)]!
        #expect(route.headerLength(at: 0) == 18)
        #expect(route.headerLength(at: 1) == 14)
        let tagged = UnsafeRawBufferPointer(start: route.header(at: 0), count: route.headerLength(at: 0))
        #expect(Array(tagged) == [0x02, 0, 0, 0, 0x02, 0x11, 0x02, 0xaa, 0, 0, 0, 0x01, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00])
        let plain = UnsafeRawBufferPointer(start: route.header(at: 1), count: route.headerLength(at: 1))
        #expect(Array(plain) == [0x02, 0, 0, 0, 0x02, 0x12, 0x02, 0xaa, 0, 0, 0, 0x01, 0x08, 0x00])
    }

    @Test func routedRoutesNeverCarryATag() {
        let t = table(locations([(macA, 5, 10)]))
        let routed = t.routes[RouteKey(interfaceIndex: 3, group: group)]!
        #expect((0..<routed.members.count).allSatisfy { routed.headerLength(at: $0) == 14 })
    }

    @Test func locationsReportOnlyChangesAndForgetSilentHosts() {
        var l = PortLocations(lifetime: 100)
        let changes = [
            l.record(mac: macA, portIndex: 5, vlanID: nil, now: 0),   // new
            l.record(mac: macA, portIndex: 5, vlanID: nil, now: 50),  // refreshed only
            l.record(mac: macA, portIndex: 5, vlanID: 10, now: 60),   // other VLAN
            l.record(mac: macA, portIndex: 6, vlanID: 10, now: 70),   // other port
        ]
        #expect(changes == [true, false, true, true])
        let early = l.expire(now: 169)
        let due = l.expire(now: 170)
        #expect(!early && due)
        #expect(l[macA] == nil)
    }

    @Test func locationsIgnoreGroupAddressesAndStayBounded() {
        var l = PortLocations(capacity: 2)
        let group = l.record(mac: MACAddress("01:00:5e:00:00:16")!, portIndex: 5, vlanID: nil, now: 0)
        #expect(!group)
        _ = l.record(mac: macA, portIndex: 5, vlanID: nil, now: 1)
        _ = l.record(mac: macB, portIndex: 5, vlanID: nil, now: 2)
        _ = l.record(mac: macWired, portIndex: 5, vlanID: nil, now: 3)
        #expect(l.byMAC.count == 2)
        #expect(l[macA] == nil)
    }

    @Test(arguments: [(UInt16?.none, UInt16?.none), (0x0000, nil), (0x2000, nil), (0x000a, 10), (0xe00a, 10), (0x1fff, 0xfff)])
    func vlanIDOfATagControlField(tagControl: UInt16?, expected: UInt16?) {
        #expect(PortLocations.vlanID(tagControl: tagControl) == expected)
    }

    @Test func groupsReportShowsThePortEntryUnderItsBridge() throws {
        let t = table(locations([(macA, 5, nil)]))
        let report = GroupsReport(table: t, memberships: members(), now: 0)
        #expect(report.groups.map(\.interface) == ["br-lan", "br-lan"])
        #expect(report.groups.map(\.bridgePort) == [nil, "wlan0"])
        let json = try JSONParser.parse(report.json.serialized)
        #expect(json["groups"]?.arrayValue?.last?["bridge_port"] == .string("wlan0"))
        #expect(json["groups"]?.arrayValue?.first?["bridge_port"] == nil)
        #expect(try GroupsReport(json: json) == report)
        #expect(report.table.contains("br-lan/wlan0"))
    }

    @Test func metricsCountThePortEntryOnceUnderItsBridge() {
        let t = table(locations([(macA, 5, nil), (macB, 5, nil)]))
        let report = GroupsReport(table: t, memberships: members(), now: 0)
        let status = StatusReport(version: "test", enabled: true, interfaces: ["br-lan"], queues: [0], uptimeSeconds: 1)
        let text = MetricsExposition.render(status: status, groups: report)
        #expect(text.contains("mut_interface_groups{interface=\"br-lan\"} 1\n"))
        #expect(text.contains("mut_interface_clients{interface=\"br-lan\"} 3\n"))
    }
}

@Suite struct BridgePortConfigTests {
    @Test func bridgePortsComeFromTheFileAndTheFlags() throws {
        let file = try ConfigFile.parse("interface = br-lan\nbridge-port = wlan0\nbridge-port = wlan1\n")
        var flags = ConfigFile()
        flags.bridgePorts = ["wlan1", "wlan2"]
        let (config, merged) = try DaemonConfig.combining(file: file, flags: flags)
        #expect(config.bridgePorts == ["wlan0", "wlan1", "wlan2"])
        #expect(merged.bridgePorts == ["wlan0", "wlan1", "wlan2"])
    }

    @Test(arguments: [
        (["br-lan"], ["br-lan"], "given both as --interface and as --bridge-port"),
        (["br-lan"], ["bad name"], "not a valid interface name"),
        (["br-lan"], ["waytoolonginterfacename"], "not a valid interface name"),
    ])
    func badBridgePortsAreRefused(interfaces: [String], ports: [String], message: String) {
        var config = DaemonConfig(interfaces: interfaces)
        config.bridgePorts = ports
        #expect {
            try config.validated()
        } throws: { error in
            (error as? ConfigError)?.description.contains(message) == true
        }
    }
}
