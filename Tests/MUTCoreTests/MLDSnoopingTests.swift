import Testing
@testable import MUTCore

/// MLD snooping through the control plane with a scripted clock: MLDv1 and MLDv2 frames in,
/// memberships, routes and timers out, IGMP state untouched.
struct MLDSnoopingTests {
    typealias C = ControlPlaneTests
    static let group = IPv6Address("ff3e::8000:1")!
    static let hostA = IPv6Address("fe80::20")!
    static let hostB = IPv6Address("fe80::21")!
    static let router = IPv6Address("fe80::1")!
    static let s1 = IPv6Address("2001:db8::1")!
    static let s2 = IPv6Address("2001:db8::2")!

    static func address(_ a: IPv6Address) -> [UInt8] { MLDParserTests.address(a) }

    /// A whole MLD frame from `source` at `mac`.
    static func frame(_ icmp: [UInt8], from source: IPv6Address, mac: MACAddress) -> [UInt8] {
        var bytes = MLDParserTests.frame(icmp, source: source)
        for i in 0..<6 { bytes[6 + i] = mac.byte(i) }
        return bytes
    }

    /// An MLDv2 report with one record of `type` (1 IS_IN ... 6 BLOCK).
    static func v2Report(_ type: UInt8, _ group: IPv6Address = group, sources: [IPv6Address] = [], from host: IPv6Address,
                         mac: MACAddress) -> [UInt8] {
        let record = [type, 0, 0, UInt8(sources.count)] + address(group) + sources.flatMap(address)
        return frame([143, 0, 0, 0, 0, 0, 0, 1] + record, from: host, mac: mac)
    }

    static func v1(_ type: UInt8, from host: IPv6Address, mac: MACAddress) -> [UInt8] {
        frame([type, 0, 0, 0, 0, 0, 0, 0] + address(group), from: host, mac: mac)
    }

    /// An MLDv2 general query: max response 1000 ms, QRV 2, QQIC 2 s.
    static func v2Query() -> [UInt8] {
        frame([130, 0, 0, 0, 0x03, 0xE8, 0, 0] + address(.unspecified) + [2, 2, 0, 0], from: router, mac: C.routerMAC)
    }

    static func v6Members(_ core: ControlPlane) -> [IPAddress: MACAddress?] {
        Dictionary(core.memberships.filter(\.group.isIPv6).map { ($0.host, $0.mac) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func twoMLDv2HostsBecomeMembersWithTheirMACsAndGetIPv6Copies() throws {
        var core = C.core()
        C.turn(&core, at: 0)
        let effects = C.turn(&core, at: 1, heard: [(Self.v2Report(4, from: Self.hostA, mac: C.macA), .incoming),
                                                    (Self.v2Report(4, from: Self.hostB, mac: C.macB), .incoming)])
        #expect(Self.v6Members(core) == [.v6(Self.hostA): C.macA, .v6(Self.hostB): C.macB])
        #expect(core.table.memberships.isEmpty, "MLD goes to its own table")
        #expect(core.mldTable.stats.v2Report == 2)
        let inputs = try #require(C.published(effects).last)
        let link = InterfaceInfo(name: C.lan, index: 7, mac: C.routerMAC)
        let table = ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [link], memberships: inputs.memberships, previous: nil)
        let (verdict, route) = table.decide(interfaceIndex: 7, source: .v6(Self.s1), destination: .v6(Self.group))
        #expect(verdict == .translate)
        let members = try #require(route?.members)
        #expect(members.map(\.mac) == [C.macA, C.macB])
        // Each copy's header: the member's MAC, the router's, EtherType 0x86DD.
        let header = route!.header(at: 1)
        #expect(MACAddress(UnsafeRawBufferPointer(start: header, count: 14), at: 0) == C.macB)
        #expect(header.load(fromByteOffset: 12, as: UInt8.self) == 0x86 && header.load(fromByteOffset: 13, as: UInt8.self) == 0xDD)
        // An IPv4 packet to a group with the same low bits finds no route.
        #expect(table.decide(interfaceIndex: 7, source: .v4(IPv4Address(10, 0, 0, 1)), destination: .v4(IPv4Address(239, 0, 0, 1))).1 == nil)
        // The groups report shows them as MLD clients.
        let report = GroupsReport(table: table, memberships: inputs.memberships, now: 1)
        #expect(report.groups.map(\.group) == [.v6(Self.group)])
        #expect(report.groups[0].clients.map(\.via) == ["mld", "mld"])
        #expect(report.groups[0].clients[0].igmpVersion == 2)
        #expect(report.groups[0].json.serialized.contains(#""mld_version":2"#))
    }

    @Test func mldv2SourceFiltersArePerHost() {
        var core = C.core()
        C.turn(&core, at: 0, heard: [(Self.v2Report(1, sources: [Self.s1], from: Self.hostA, mac: C.macA), .incoming),
                                     (Self.v2Report(1, sources: [Self.s2], from: Self.hostB, mac: C.macB), .incoming)])
        let filters = Dictionary(core.memberships.map { ($0.host, $0.filter) }, uniquingKeysWith: { a, _ in a })
        #expect(filters[.v6(Self.hostA)] == .include([.v6(Self.s1)]))
        #expect(filters[.v6(Self.hostB)] == .include([.v6(Self.s2)]))
        let link = InterfaceInfo(name: C.lan, index: 7, mac: C.routerMAC)
        let table = ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [link], memberships: core.memberships, previous: nil)
        let route = table.routes[RouteKey(interfaceIndex: 7, group: .v6(Self.group))]
        #expect(route?.members.filter { $0.filter.admits(.v6(Self.s1)) }.map(\.host) == [.v6(Self.hostA)])
        #expect(route?.members.filter { $0.filter.admits(.v6(Self.s2)) }.map(\.host) == [.v6(Self.hostB)])
        // EXCLUDE {S1} for A: everything but S1.
        C.turn(&core, at: 1, heard: [(Self.v2Report(4, sources: [Self.s1], from: Self.hostA, mac: C.macA), .incoming)])
        #expect(core.memberships.first { $0.host == .v6(Self.hostA) }?.filter == .exclude([.v6(Self.s1)]))
        // TO_IN {}: gone at once.
        C.turn(&core, at: 2, heard: [(Self.v2Report(3, from: Self.hostA, mac: C.macA), .incoming)])
        #expect(Self.v6Members(core).keys.sorted() == [.v6(Self.hostB)])
    }

    @Test func mldv1DoneIsAFastLeaveForThatHostOnly() {
        var core = C.core()
        C.turn(&core, at: 0, heard: [(Self.v1(131, from: Self.hostA, mac: C.macA), .incoming),
                                     (Self.v1(131, from: Self.hostB, mac: C.macB), .incoming)])
        #expect(core.memberships.compactMap(\.protocolVersion) == [1, 1])
        let effects = C.turn(&core, at: 0.5, heard: [(Self.v1(132, from: Self.hostA, mac: C.macA), .incoming)])
        #expect(Self.v6Members(core) == [.v6(Self.hostB): C.macB])
        #expect(C.published(effects).count == 1)
        #expect(effects.contains { if case .log(_, let line) = $0 { line == "MLD: fe80::20 left ff3e::8000:1 on lan0" } else { false } })
    }

    @Test func aQueryMakesTheMLDQuerierAndASilentHostExpiresUnderIt() {
        var core = C.core()
        C.turn(&core, at: 0, heard: [(Self.v2Query(), .incoming), (Self.v2Report(4, from: Self.hostA, mac: C.macA), .incoming)])
        let record = core.mldTable.querier(interface: C.lan)
        #expect(record?.address == .v6(Self.router) && record?.version == 2 && record?.origin == .otherHost)
        #expect(core.table.querier(interface: C.lan) == nil, "the IGMP querier is another matter")
        // QRV 2 × QQIC 2 s + 1 s: membership interval 5 s; the querier keeps asking, A stays silent.
        for t in stride(from: 2.0, through: 4.0, by: 2.0) { C.turn(&core, at: t, heard: [(Self.v2Query(), .incoming)]) }
        #expect(Self.v6Members(core).count == 1)
        C.turn(&core, at: 5.5, heard: [(Self.v2Query(), .incoming)])
        #expect(Self.v6Members(core).isEmpty)
    }

    @Test func theTableIsBoundedAndBadFramesCountAsInvalid() {
        var config = DaemonConfig(interfaces: [C.lan])
        config.membership.limits = MembershipLimits(maxGroups: 4, maxHostsPerGroup: 1, maxEntries: 4, maxSourcesPerEntry: 2)
        var core = ControlPlane(config: config, interfaces: [ServedInterface(name: C.lan, index: 7, mac: C.routerMAC, address: nil)],
                                bootID: "b")
        C.turn(&core, at: 0, heard: [(Self.v2Report(4, from: Self.hostA, mac: C.macA), .incoming),
                                     (Self.v2Report(4, from: Self.hostB, mac: C.macB), .incoming),
                                     (Self.v2Report(1, IPv6Address("ff3e::2")!, sources: [Self.s1, Self.s2, IPv6Address("2001:db8::3")!],
                                                    from: Self.hostA, mac: C.macA), .incoming)])
        #expect(core.mldTable.entryCount == 1)
        #expect(core.mldTable.stats.refusedTotal == 2)
        var broken = Self.v2Report(4, from: Self.hostA, mac: C.macA)
        broken[broken.count - 1] ^= 0xFF  // checksum no longer matches
        // Link-scope groups are never tracked.
        C.turn(&core, at: 1, heard: [(broken, .incoming), (Self.v2Report(4, IPv6Address("ff02::fb")!, from: Self.hostB, mac: C.macB), .incoming)])
        #expect(core.mldTable.stats.invalid == 1 && core.mldTable.stats.ignored == 1)
        #expect(core.table.stats.invalid == 0)
    }

    @Test func mldMembershipsSurviveARestartThroughTheStateFile() throws {
        var core = C.core()
        C.turn(&core, at: 0, heard: [(Self.v2Report(1, sources: [Self.s1], from: Self.hostA, mac: C.macA), .incoming),
                                     (IGMPFrameBuilder.frame(IGMPFrameBuilder.message(type: 0x16, body: IGMPFrameBuilder.address(C.group)),
                                                             sourceMAC: C.macB, source: C.hostB, destination: C.group), .incoming)])
        let text = core.snapshot(now: 1).json.serialized
        let saved = try SavedState(json: text)
        #expect(saved.memberships.map(\.group) == [IPAddress.v4(C.group), .v6(Self.group)])
        var next = C.core()
        next.start(savedState: text, now: 2)
        #expect(next.mldTable.memberships.map(\.filter) == [.include([.v6(Self.s1)])])
        #expect(next.table.memberships.map(\.host) == [.v4(C.hostB)])
    }
}
