import Testing
@testable import MUTCore

/// IPv6 where the operator meets it: `mutctl add/del`, `--static`, the state file, the kernel's
/// IPv6 neighbour table, the groups report of a static IPv6 subscriber.
struct IPv6OperatorTests {
    typealias C = ControlPlaneTests
    static let group = IPv6Address("ff3e::8000:1")!
    static let client = IPv6Address("2001:db8:2::11")!

    func errorMessage(_ text: String) -> String? {
        var decoder = ControlRequestDecoder()
        if case .error(let e) = decoder.feed(Array(text.utf8)) { return e.message }
        return nil
    }

    @Test func addAndDelTakeIPv6() throws {
        let entry = StaticSubscriber(group: .v6(Self.group), client: .v6(Self.client), interface: "lan0")
        for request in [ControlRequest.add(entry), .del(entry)] {
            var decoder = ControlRequestDecoder()
            #expect(decoder.feed(request.wireBytes) == .request(request))
        }
        #expect(try StaticSubscriber(parsing: "ff3e::8000:1,2001:db8:2::11,lan0") == entry)
        #expect(entry.description == "ff3e::8000:1,2001:db8:2::11,lan0")
        #expect(errorMessage("add ff02::1:3 2001:db8::1\n")?.contains("link-scope") == true)
        #expect(errorMessage("add 2001:db8::9 2001:db8::1\n")?.contains("'2001:db8::9' is not an IPv6 multicast group") == true)
        #expect(errorMessage("add ff3e::1 10.0.0.1\n")?.contains("'10.0.0.1' is not a unicast IPv6 address") == true)
        #expect(errorMessage("add ff3e::1 ff3e::2\n")?.contains("not a unicast IPv6 address") == true)
        #expect(errorMessage("add 239.1.1.1 2001:db8::1\n")?.contains("'2001:db8::1' is not a unicast IPv4 address") == true)
        #expect(errorMessage("add ff3e::1 2001:db8::1 no/slash\n")?.contains("'no/slash' is not a valid interface name") == true)
    }

    /// An RTM_NEWNEIGH for AF_INET6 on interface 7.
    static func neighbourMessage(_ address: IPv6Address, mac: MACAddress, state: UInt16 = 2) -> [UInt8] {
        var body: [UInt8] = [10, 0, 0, 0, 7, 0, 0, 0, UInt8(state & 0xFF), UInt8(state >> 8), 0, 1]
        body += [20, 0, 1, 0] + MLDParserTests.address(address)
        body += [10, 0, 2, 0] + (0..<6).map { mac.byte($0) } + [0, 0]
        var bytes: [UInt8] = withUnsafeBytes(of: UInt32(16 + body.count)) { Array($0) }
        bytes += withUnsafeBytes(of: UInt16(28)) { Array($0) } + [0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]
        return bytes + body
    }

    @Test func aStaticIPv6SubscriberGetsItsMACFromTheIPv6NeighbourTable() throws {
        let entry = StaticSubscriber(group: .v6(Self.group), client: .v6(Self.client))
        var core = C.core(statics: [StaticSubscriber(group: entry.group, client: entry.client, interface: C.lan)])
        let first = C.turn(&core, at: 0)
        // No MAC yet: the kernel is asked to resolve the IPv6 address.
        #expect(first.contains { if case .resolveNeighbour(_, .v6(Self.client)) = $0 { true } else { false } })
        let event = Self.neighbourMessage(Self.client, mac: C.macA).withUnsafeBytes { NeighbourEvent.parse(Netlink.messages(in: $0)[0]) }
        #expect(event == NeighbourEvent(kind: .update, interfaceIndex: 7, address: .v6(Self.client), mac: C.macA, state: 2))
        core.neighbour(try #require(event), now: 1)
        #expect(core.memberships.first { $0.host == .v6(Self.client) }?.mac == C.macA)
        let link = InterfaceInfo(name: C.lan, index: 7, mac: C.routerMAC)
        let table = ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [link], memberships: core.memberships, previous: nil)
        let report = GroupsReport(table: table, memberships: core.memberships, now: 1)
        #expect(report.groups.first?.mode == "translating")
        #expect(report.table.contains("ff3e::8000:1") && report.table.contains("2001:db8:2::11"))
        let json = report.json.serialized
        #expect(json.contains(#""group":"ff3e::8000:1""#) && json.contains(#""ip":"2001:db8:2::11""#) && json.contains(#""via":"static""#))
        // And back: mutctl reads what mutd wrote.
        #expect(try GroupsReport(json: JSONParser.parse(json)) == report)
    }

    @Test func statusShowsMLDOnlyOnceHeard() throws {
        typealias M = MLDSnoopingTests
        var core = C.core()
        C.turn(&core, at: 0)
        var quiet = StatusReport(version: "t", enabled: true, interfaces: [C.lan], queues: [0], uptimeSeconds: 1)
        core.fill(&quiet, now: 0)
        #expect(!quiet.json.serialized.contains("mld") && !quiet.table.contains("mld"))
        C.turn(&core, at: 1, heard: [(M.v2Query(), .incoming), (M.v2Report(4, from: M.hostA, mac: C.macA), .incoming),
                                     (M.v1(132, from: M.hostB, mac: C.macB), .incoming)])
        var status = StatusReport(version: "t", enabled: true, interfaces: [C.lan], queues: [0], uptimeSeconds: 1)
        core.fill(&status, now: 1)
        let json = status.json.serialized
        #expect(json.contains(#""mld":{"query":1,"v1_report":0,"v2_report":1,"done":1,"invalid":0}"#))
        #expect(json.contains(#""mld_queriers":[{"interface":"lan0","address":"fe80::1","version":2"#))
        #expect(status.table.contains("mld querier lan0") && status.table.contains("fe80::1 (MLDv2, other host)"))
        #expect(try StatusReport(json: JSONParser.parse(json)) == status)
        #expect(MetricsExposition.render(status: status, groups: GroupsReport(groups: [])).contains(#"mut_mld_messages_total{type="done"} 1"#))
        #expect(!MetricsExposition.render(status: quiet, groups: GroupsReport(groups: [])).contains("mld"))
    }
}
