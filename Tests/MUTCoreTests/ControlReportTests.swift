import Testing
@testable import MUTCore

/// A fixed report used by the rendering tests and by Tests/shell/metrics-sample.prom.
func sampleStatus() -> StatusReport {
    var status = StatusReport(version: "0.1.0", enabled: true, interfaces: ["lan0", "wlan0"], queues: [0, 1], uptimeSeconds: 93784)
    status.packets = 1000
    status.bytes = 1_316_000
    status.copies = 1800
    status.dropped = 900
    status.passed = 100
    status.passedByReason = ["disabled": 0, "no_members": 70, "untranslatable": 20, "over_max_clients": 10, "malformed": 0, "airtime": 0]
    status.sendErrors = 2
    status.queueDrops = 5
    status.igmp.query = 12
    status.igmp.v2Report = 30
    status.igmp.v3Report = 7
    status.igmp.leave = 3
    status.refusedEntries = 1
    status.groups = 2
    status.clients = 3
    return status
}

func sampleGroups() -> GroupsReport {
    GroupsReport(groups: [
        GroupReport(interface: "wlan0", group: .v4(IPv4Address(239, 1, 1, 1)), sources: [.v4(IPv4Address(10, 0, 0, 5))],
                    packets: 900, bytes: 1_183_500, copies: 1800, passed: 0, mode: .translating, clients: [
                        ClientReport(ip: .v4(IPv4Address(192, 168, 1, 10)), mac: MACAddress("02:00:00:00:00:0a"), via: "igmp",
                                     igmpVersion: 2, expiresInSeconds: 251, copies: 900),
                        ClientReport(ip: .v4(IPv4Address(192, 168, 1, 11)), mac: MACAddress("02:00:00:00:00:0b"), via: "static",
                                     copies: 900, sendErrors: 2),
                    ]),
        GroupReport(interface: "lan0", group: .v4(IPv4Address(232, 2, 2, 2)), packets: 20, bytes: 26_000, passed: 20,
                    mode: .untranslatable, clients: [
                        ClientReport(ip: .v4(IPv4Address(10, 1, 0, 3)), mac: nil, via: "igmp", igmpVersion: 3, expiresInSeconds: 9,
                                     filter: .include(v4: [IPv4Address(10, 9, 9, 9)])),
                    ]),
    ])
}

@Suite struct ControlReportTests {
    @Test func statusJSONHasTheContractKeysAndRoundTrips() throws {
        let status = sampleStatus()
        let json = try JSONParser.parse(status.json.serialized)
        for key in ["enabled", "interfaces", "queues", "packets", "copies", "passed", "dropped", "groups", "clients", "uptime_s", "version"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["enabled"] == .bool(true))
        #expect(json["interfaces"] == .array([.string("lan0"), .string("wlan0")]))
        #expect(json["queues"] == .array([.int(0), .int(1)]))
        #expect(json["uptime_s"] == .int(93784))
        #expect(json["passed_by_reason"]?["untranslatable"] == .int(20))
        #expect(json["igmp"]?["v2_report"] == .int(30))
        #expect(try StatusReport(json: json) == status)
    }

    @Test func statusFromAnOlderDaemonNeedsOnlyTheContractKeys() throws {
        let minimal = try JSONParser.parse("""
            {"ok":true,"enabled":false,"interfaces":["br0"],"queues":[3],"packets":1,"copies":0,"passed":1,"dropped":0,
             "groups":0,"clients":0,"uptime_s":5,"version":"0.0.9","future_key":{"x":[1]}}
            """)
        let status = try StatusReport(json: minimal)
        #expect(status.enabled == false && status.queues == [3] && status.version == "0.0.9" && status.sendErrors == 0)
        var broken = minimal
        if case .object(let members) = minimal { broken = .object(members.filter { $0.0 != "copies" }) }
        #expect(throws: ReportDecodingError("status: missing \"copies\"")) { try StatusReport(json: broken) }
        #expect(throws: ReportDecodingError("status: \"enabled\" is not true or false")) {
            try StatusReport(json: JSONParser.parse(#"{"version":"1","enabled":"yes"}"#))
        }
    }

    @Test func statusTable() {
        let table = sampleStatus().table
        #expect(table.hasPrefix("""
            version             0.1.0
            mode                enabled (translating multicast to unicast)
            uptime              1d 02:03:04
            interfaces          lan0 wlan0
            queues              0 1
            groups              2
            clients             3
            packets             1000 (1316000 bytes)
            copies              1800
            dropped             900 (originals replaced by copies)
            passed              100 (no_members 70, untranslatable 20, over_max_clients 10)

            """))
        #expect(table.contains("igmp                query 12, v1_report 0, v2_report 30, v3_report 7, leave 3, invalid 0\n"))
    }

    @Test func groupsJSONRoundTripsAndIsSorted() throws {
        let groups = sampleGroups()
        #expect(groups.groups.map(\.interface) == ["lan0", "wlan0"])
        let json = try JSONParser.parse(groups.json.serialized)
        let first = json["groups"]?.arrayValue?.first
        #expect(first?["group"] == .string("232.2.2.2"))
        #expect(first?["translating"] == .bool(false))
        #expect(first?["clients"]?.arrayValue?.first?["mac"] == .null)
        #expect(first?["clients"]?.arrayValue?.first?["filter"]?["mode"] == .string("include"))
        let wlan = json["groups"]?.arrayValue?.last
        #expect(wlan?["clients"]?.arrayValue?[0]["expires_in_s"] == .int(251))
        #expect(wlan?["clients"]?.arrayValue?[1]["igmp_version"] == nil)  // static: no IGMP keys
        #expect(try GroupsReport(json: json) == groups)
        #expect(throws: ReportDecodingError.self) {
            try GroupsReport(json: JSONParser.parse(#"{"groups":[{"group":"239.1.1.300","interface":"x","packets":0,"bytes":0,"copies":0,"clients":[]}]}"#))
        }
    }

    @Test func groupsTable() {
        #expect(sampleGroups().table == """
            INTERFACE  GROUP      SOURCE    MODE            PACKETS    BYTES  COPIES  PASSED  CLIENTS
            lan0       232.2.2.2  -         untranslatable       20    26000       0      20        1
                CLIENT        MAC                VIA     IGMP  EXPIRES  COPIES  SEND_ERRORS  FILTER
                10.1.0.3      unknown            igmp    v3         9s       0            0  include 10.9.9.9
            wlan0      239.1.1.1  10.0.0.5  translating         900  1183500    1800       0        2
                CLIENT        MAC                VIA     IGMP  EXPIRES  COPIES  SEND_ERRORS  FILTER
                192.168.1.10  02:00:00:00:00:0a  igmp    v2       251s     900            0  any source
                192.168.1.11  02:00:00:00:00:0b  static  -           -     900            2  any source

            """)
        #expect(GroupsReport(groups: []).table == "no groups\n")
    }

    @Test func groupsReportFromTheForwardingTable() {
        let wlan = InterfaceInfo(name: "wlan0", index: 3, mac: MACAddress("02:aa:00:00:00:01")!)
        let group = IPv4Address(239, 1, 1, 1)
        let memberships = [
            Membership(interface: "wlan0", group: group, host: IPv4Address(192, 168, 1, 10), mac: MACAddress("02:00:00:00:00:0a"),
                       origin: .igmp(version: 3, expiresAt: 1000.2)),
            Membership(interface: "wlan0", group: group, host: IPv4Address(192, 168, 1, 11), mac: MACAddress("02:00:00:00:00:0b")),
            // Both static and IGMP for one host: shown once, as static, with its IGMP details.
            Membership(interface: "wlan0", group: group, host: IPv4Address(192, 168, 1, 12), mac: MACAddress("02:00:00:00:00:0c")),
            Membership(interface: "wlan0", group: group, host: IPv4Address(192, 168, 1, 12), origin: .igmp(version: 2, expiresAt: 900)),
            Membership(interface: "wlan0", group: IPv4Address(239, 2, 2, 2), host: IPv4Address(192, 168, 1, 13)),
            Membership(interface: "eth9", group: group, host: IPv4Address(10, 0, 0, 1)),  // not a served interface
        ]
        let table = ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [wlan], memberships: memberships, previous: nil)
        let route = table.routes[RouteKey(interfaceIndex: 3, group: group)]!
        route.counters.packets.store(10, ordering: .relaxed)
        route.counters.lastSource.store(.v4(IPv4Address(10, 0, 0, 5)))
        route.members[0].counters.copies.store(7, ordering: .relaxed)

        let report = GroupsReport(table: table, memberships: memberships, now: 900.0)
        #expect(report.groups.map(\.group) == v4(group, IPv4Address(239, 2, 2, 2)))
        let first = report.groups[0]
        #expect(first.mode == "translating" && first.translating && first.packets == 10 && first.sources == v4(IPv4Address(10, 0, 0, 5)))
        #expect(first.clients.map(\.via) == ["igmp", "static", "static"])
        #expect(first.clients[0].igmpVersion == 3 && first.clients[0].expiresInSeconds == 101 && first.clients[0].copies == 7)
        #expect(first.clients[1].igmpVersion == nil && first.clients[1].expiresInSeconds == nil)
        #expect(first.clients[2].igmpVersion == 2 && first.clients[2].expiresInSeconds == 0)
        #expect(report.groups[1].mode == "untranslatable")  // its only member has no known MAC
        #expect(report.clientCount == 4)

        let over = ForwardingTable.build(enabled: true, maxClients: 2, interfaces: [wlan], memberships: memberships, previous: table)
        #expect(GroupsReport(table: over, memberships: memberships, now: 0).groups[0].mode == "over_max_clients")
        let off = ForwardingTable.build(enabled: false, maxClients: nil, interfaces: [wlan], memberships: memberships, previous: table)
        #expect(GroupsReport(table: off, memberships: memberships, now: 0).groups.allSatisfy { $0.mode == "disabled" })
    }

    @Test func responsesAreOneJSONLine() throws {
        let refused = ControlResponse.refused("bad\nthing").wireBytes
        #expect(refused.last == UInt8(ascii: "\n"))
        #expect(refused.dropLast().contains(UInt8(ascii: "\n")) == false)
        #expect(try ControlReply(bytes: Array(refused.dropLast())) == .refused("bad thing"))

        let status = ControlResponse.status(sampleStatus()).wireBytes
        #expect(status.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        guard case .ok(let value) = try ControlReply(bytes: Array(status.dropLast())) else {
            Issue.record("status was not ok")
            return
        }
        #expect(try StatusReport(json: value) == sampleStatus())

        let metrics = ControlResponse.metrics(sampleStatus(), sampleGroups()).wireBytes
        guard case .ok(let m) = try ControlReply(bytes: Array(metrics.dropLast())) else {
            Issue.record("metrics was not ok")
            return
        }
        #expect(m["exposition"]?.stringValue == MetricsExposition.render(status: sampleStatus(), groups: sampleGroups()))

        #expect(throws: ReportDecodingError.self) { try ControlReply(bytes: Array("{\"status\":1}".utf8)) }
        #expect(throws: ReportDecodingError.self) { try ControlReply(bytes: Array("<html>".utf8)) }
    }
}
