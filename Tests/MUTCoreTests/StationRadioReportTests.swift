import Testing
@testable import MUTCore

/// Wi-Fi clients' radio telemetry in `mutctl groups`: from the control plane's samples into
/// the report, its JSON both ways (old JSON without it still decodes) and the client table.
struct StationRadioReportTests {
    static let phone = MACAddress("02:00:00:00:00:0a")!
    static let tv = MACAddress("02:00:00:00:00:0b")!
    static let group = IPv4Address(239, 1, 1, 1)

    static func groups(radio: StationRadio?, age: Double? = nil) -> GroupsReport {
        var phone = ClientReport(ip: .v4(IPv4Address(192, 168, 1, 10)), mac: Self.phone, via: "igmp", igmpVersion: 3,
                                 expiresInSeconds: 251, copies: 900, radio: radio)
        phone.radioAgeSeconds = age
        let tv = ClientReport(ip: .v4(IPv4Address(192, 168, 1, 11)), mac: Self.tv, via: "static", copies: 900)
        return GroupsReport(groups: [GroupReport(interface: "br-lan", group: .v4(group), packets: 900, bytes: 1_183_500, copies: 1800,
                                                 mode: .translating, clients: [phone, tv])])
    }

    static let sample = StationRadio(mac: phone, apInterfaceIndex: 5, txBitrateKbps: 144_400, txPackets: 5000, txRetries: 310,
                                     txFailed: 4, signalDBm: -51, inactiveMilliseconds: 120)

    @Test func theReportCarriesEachStationsLatestSampleAndItsAge() {
        let wlan = InterfaceInfo(name: "wlan0", index: 5, mac: MACAddress("02:aa:00:00:00:01")!)
        let memberships = [
            Membership(interface: "wlan0", group: Self.group, host: IPv4Address(192, 168, 1, 10), mac: Self.phone),
            Membership(interface: "wlan0", group: Self.group, host: IPv4Address(192, 168, 1, 11), mac: Self.tv),
        ]
        let table = ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [wlan], memberships: memberships, previous: nil)
        var core = ControlPlaneTests.core()
        core.stationRadios([Self.sample], apInterfaceIndex: 5, now: 100)
        let report = GroupsReport(table: table, memberships: memberships, radios: core.radios, now: 102.5)
        let clients = report.groups[0].clients
        #expect(clients[0].radio?.txRetries == 310 && clients[0].radio?.sampledAt == 100 && clients[0].radioAgeSeconds == 2.5)
        #expect(clients[1].radio == nil && clients[1].radioAgeSeconds == nil)
        // A newer sample of the AP without the station: it left, its radio goes.
        core.stationRadios([], apInterfaceIndex: 5, now: 104)
        #expect(GroupsReport(table: table, memberships: memberships, radios: core.radios, now: 105).groups[0].clients[0].radio == nil)
    }

    @Test func jsonCarriesARadioObjectAndRoundTrips() throws {
        let report = Self.groups(radio: Self.sample, age: 1.5)
        let json = try JSONParser.parse(report.json.serialized)
        let clients = json["groups"]?.arrayValue?.first?["clients"]?.arrayValue
        let radio = clients?.first?["radio"]
        #expect(radio?["tx_bitrate_kbps"] == .int(144_400))
        #expect(radio?["tx_packets"] == .int(5000) && radio?["tx_retries"] == .int(310) && radio?["tx_failed"] == .int(4))
        #expect(radio?["signal_dbm"] == .int(-51) && radio?["inactive_ms"] == .int(120) && radio?["age_s"] == .double(1.5))
        #expect(clients?.last?["radio"] == nil)  // a wired client has none
        #expect(try GroupsReport(json: json) == report)
        // Figures the driver did not give are left out, and come back as nil.
        let sparse = Self.groups(radio: StationRadio(mac: Self.phone, apInterfaceIndex: 5, txRetries: 9))
        #expect(try GroupsReport(json: JSONParser.parse(sparse.json.serialized)) == sparse)
    }

    @Test func jsonWithoutRadioStillDecodesAndBadRadioIsNamed() throws {
        let old = try JSONParser.parse("""
            {"groups":[{"group":"239.1.1.1","interface":"wlan0","packets":1,"bytes":2,"copies":3,
             "clients":[{"ip":"192.168.1.10","mac":"02:00:00:00:00:0a","via":"igmp"}]}]}
            """)
        #expect(try GroupsReport(json: old).groups[0].clients[0].radio == nil)
        let bad = try JSONParser.parse("""
            {"groups":[{"group":"239.1.1.1","interface":"wlan0","packets":1,"bytes":2,"copies":3,
             "clients":[{"ip":"192.168.1.10","mac":"02:00:00:00:00:0a","via":"igmp","radio":{"signal_dbm":-300}}]}]}
            """)
        #expect(throws: ReportDecodingError("groups[0].clients[0].radio: \"signal_dbm\" is out of range")) {
            try GroupsReport(json: bad)
        }
    }

    @Test func theClientTableShowsRadioColumnsOnlyWhereAStationHasThem() {
        #expect(Self.groups(radio: Self.sample).table == """
            INTERFACE  GROUP      SOURCE  MODE         PACKETS    BYTES  COPIES  PASSED  CLIENTS
            br-lan     239.1.1.1  -       translating      900  1183500    1800       0        2
                CLIENT        MAC                VIA     IGMP  EXPIRES  COPIES  SEND_ERRORS  TX_MBPS  RETRIES  FAILED  SIGNAL  INACTIVE  FILTER
                192.168.1.10  02:00:00:00:00:0a  igmp    v3       251s     900            0    144.4      310       4  -51dBm     120ms  any source
                192.168.1.11  02:00:00:00:00:0b  static  -           -     900            0        -        -       -       -         -  any source

            """)
        #expect(!Self.groups(radio: nil).table.contains("TX_MBPS"))
        #expect(StationRadio.tableCells(StationRadio(mac: Self.phone, apInterfaceIndex: 1, txBitrateKbps: 6_000)) == ["6", "-", "-", "-", "-"])
    }
}
