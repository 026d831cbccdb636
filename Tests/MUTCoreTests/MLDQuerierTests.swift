import Testing
@testable import MUTCore

/// mutd as MLD querier: the query frames it builds (parsed back with the snooping parser) and
/// its schedule, election and per-host queries with a scripted clock.
struct MLDQuerierTests {
    typealias C = ControlPlaneTests
    typealias M = MLDSnoopingTests
    static let own = IPv6Address("fe80::b0")!
    static let timers = IGMPTimerValues(robustness: 2, queryInterval: 2, queryResponseInterval: 1)

    static func parse(_ frame: [UInt8]) throws(ParseError) -> MLDPacket {
        try MLDParserTests.parse(frame)
    }

    static func core(linkLocal: IPv6Address? = own, queryInterval: Double = 2) -> ControlPlane {
        var config = DaemonConfig(interfaces: [C.lan])
        config.membership.defaultTimers = timers
        config.membership.defaultTimers.queryInterval = queryInterval
        config.querier = true
        config.querierVersion = 2
        let link = ServedInterface(name: C.lan, index: 7, mac: C.routerMAC, address: C.routerIP, linkLocal: linkLocal)
        return ControlPlane(config: config, interfaces: [link], bootID: "b")
    }

    static func mldQueries(_ effects: [ControlEffect]) -> [(QueryKind, [UInt8])] {
        C.queries(effects).filter { $0.1.count > 13 && $0.1[12] == 0x86 && $0.1[13] == 0xDD }
    }

    @Test func aGeneralQueryParsesBackWithItsTimersFromTheLinkLocalAddress() throws {
        let frame = MLDQueryFrame.build(sourceMAC: C.routerMAC, sourceIP: Self.own, timers: Self.timers)
        let packet = try Self.parse(frame)
        #expect(packet.senderIP == Self.own && packet.senderMAC == C.routerMAC)
        #expect(packet.destination == IPv6Address("ff02::1")!)
        #expect(Array(frame[0..<6]) == [0x33, 0x33, 0, 0, 0, 1])
        #expect(frame[21] == 1, "hop limit 1")
        #expect(frame[20] == 0, "a hop-by-hop header follows")
        #expect(Array(frame[54..<60]) == [58, 0, 5, 2, 0, 0], "Router Alert, MLD")
        guard case .query(let query) = packet.message else { Issue.record("not a query"); return }
        #expect(query.version == 2 && query.isGeneral)
        #expect(query.maxResponseMilliseconds == 1000 && query.robustness == 2 && query.queryIntervalSeconds == 2)
        var broken = frame
        broken[broken.count - 5] ^= 0x01
        #expect(throws: ParseError.badChecksum) { try Self.parse(broken) }
    }

    @Test func perHostAndGroupQueriesAndMLDv1() throws {
        let group = M.group
        let frame = MLDQueryFrame.build(group: group, sourceMAC: C.routerMAC, sourceIP: Self.own, destinationMAC: C.macA,
                                        timers: Self.timers, maxResponseTime: 0.5)
        #expect(frame.withUnsafeBytes { MACAddress($0, at: 0) } == C.macA)
        let packet = try Self.parse(frame)
        guard case .query(let query) = packet.message else { Issue.record("not a query"); return }
        #expect(query.group == group && packet.destination == group && query.maxResponseMilliseconds == 500)
        let v1 = try Self.parse(MLDQueryFrame.build(version: 1, sourceMAC: C.routerMAC, sourceIP: Self.own, timers: Self.timers))
        guard case .query(let old) = v1.message else { Issue.record("not a query"); return }
        #expect(old.version == 1 && old.maxResponseMilliseconds == 1000)
    }

    @Test(arguments: [0, 1000, 32767, 32768, 40_000, 125_000, 8_000_000])
    func maxResponseCodesDecodeToAtMostTheValue(_ milliseconds: Int) throws {
        let frame = MLDQueryFrame.build(sourceMAC: C.routerMAC, sourceIP: Self.own, timers: Self.timers,
                                        maxResponseTime: Double(milliseconds) / 1000)
        guard case .query(let query) = try Self.parse(frame).message else { Issue.record("not a query"); return }
        #expect(query.maxResponseMilliseconds <= milliseconds)
        #expect(Double(query.maxResponseMilliseconds) >= Double(min(milliseconds, 0x1FFF << 10)) * 0.999)
    }

    @Test func mutdQueriesMLDAndASilentHostExpires() throws {
        var core = Self.core()
        let first = C.turn(&core, at: 0, heard: [(M.v2Report(4, from: M.hostA, mac: C.macA), .incoming)])
        let general = Self.mldQueries(first).filter { $0.0 == .general }
        #expect(general.count == 1)
        #expect(try Self.parse(try #require(general.first).1).senderIP == Self.own)
        let record = try #require(core.mldTable.querier(interface: C.lan))
        #expect(record.address == .v6(Self.own) && record.origin == .mutd && record.version == 2)
        // Startup queries a quarter interval apart, then every 2 s; A never answers: the
        // membership interval (2 × 2 + 1 = 5 s) ends its membership.
        var sent = 0
        for t in stride(from: 0.25, through: 4.75, by: 0.25) {
            sent += Self.mldQueries(C.turn(&core, at: t)).filter { $0.0 == .general }.count
        }
        #expect(sent >= 2)
        #expect(M.v6Members(core).count == 1)
        C.turn(&core, at: 5.5)
        #expect(M.v6Members(core).isEmpty)
    }

    @Test func aLowerMLDQuerierWinsAndTheIGMPQuerierStays() throws {
        var core = Self.core()
        C.turn(&core, at: 0)
        let lower = M.frame([130, 0, 0, 0, 0x03, 0xE8, 0, 0] + M.address(.unspecified) + [2, 2, 0, 0], from: M.router, mac: C.macB)
        let effects = C.turn(&core, at: 0.1, heard: [(lower, .incoming)])
        #expect(effects.contains { if case .log(_, let line) = $0 { line.contains("MLD querier fe80::1") && line.contains("stops") } else { false } })
        #expect(core.mldTable.querier(interface: C.lan)?.address == .v6(M.router))
        var mld = 0, igmp = 0
        for t in stride(from: 0.5, through: 3, by: 0.5) {
            let effects = C.turn(&core, at: t)
            mld += Self.mldQueries(effects).count
            igmp += C.queries(effects).filter { $0.0 == .general }.count - Self.mldQueries(effects).filter { $0.0 == .general }.count
        }
        #expect(mld == 0, "the lower address is the MLD querier")
        #expect(igmp >= 1, "IGMP is another election")
    }

    @Test func anMLDv1MemberGetsPerHostQueriesToItsMAC() throws {
        // A 10 s interval leaves room for per-host queries between the general queries' responses.
        var core = Self.core(queryInterval: 10)
        C.turn(&core, at: 0, heard: [(M.v1(131, from: M.hostA, mac: C.macA), .incoming),
                                     (M.v2Report(4, from: M.hostB, mac: C.macB), .incoming)])
        var targets: [MACAddress] = []
        for t in stride(from: 0.25, through: 9, by: 0.25) {
            for (kind, frame) in Self.mldQueries(C.turn(&core, at: t)) where kind == .perHost {
                targets.append(frame.withUnsafeBytes { MACAddress($0, at: 0) })
                #expect(try Self.parse(frame).senderIP == Self.own)
            }
        }
        #expect(!targets.isEmpty)
        #expect(Set(targets) == [C.macA], "only the MLDv1 member, never the MLDv2 one")
        #expect(core.mldPerHostQueriesSent == UInt64(targets.count))
        #expect(core.mldQueriesSent >= 2 && core.queriesSent >= 2, "each family counts its own")
        var report = StatusReport(version: "t", enabled: true, interfaces: [C.lan], queues: [0], uptimeSeconds: 9)
        core.fill(&report, now: 9)
        #expect(report.mldQueriesSent == core.mldQueriesSent && report.mldPerHostQueriesSent == UInt64(targets.count))
        let decoded = try StatusReport(json: report.json)
        #expect(decoded.mldQueriesSent == core.mldQueriesSent && decoded.mldPerHostQueriesSent == UInt64(targets.count))
    }

    @Test func anMLDLeaveIsFollowedByGroupQueriesToTheGroup() throws {
        var core = Self.core()
        C.turn(&core, at: 0, heard: [(M.v1(131, from: M.hostA, mac: C.macA), .incoming)])
        var groupQueries: [[UInt8]] = []
        var t = 0.25
        groupQueries += Self.mldQueries(C.turn(&core, at: t, heard: [(M.v1(132, from: M.hostA, mac: C.macA), .incoming)]))
            .filter { $0.0 == .groupSpecific }.map(\.1)
        while t < 3 {
            t += 0.25
            groupQueries += Self.mldQueries(C.turn(&core, at: t)).filter { $0.0 == .groupSpecific }.map(\.1)
        }
        #expect(groupQueries.count == 2, "robustness 2: two last-listener queries")
        for frame in groupQueries {
            let packet = try Self.parse(frame)
            guard case .query(let query) = packet.message else { Issue.record("not a query"); continue }
            #expect(query.group == M.group && packet.destination == M.group && query.maxResponseMilliseconds == 1000)
            #expect(frame.withUnsafeBytes { MACAddress($0, at: 0) } == MLDQueryFrame.multicastMAC(M.group))
        }
        #expect(C.queries(C.turn(&core, at: 3.25)).allSatisfy { $0.0 != .groupSpecific })
    }

    @Test func withoutALinkLocalAddressMutdSaysSoAndDoesNotQueryMLD() {
        var core = Self.core(linkLocal: nil)
        let effects = C.turn(&core, at: 0)
        #expect(effects.contains { if case .log(.warning, let line) = $0 { line.contains("no IPv6 link-local address") } else { false } })
        #expect(Self.mldQueries(effects).isEmpty)
        #expect(C.queries(effects).count == 1, "IGMP still queries")
    }
}
