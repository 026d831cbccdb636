import Testing
@testable import MUTCore

private typealias Build = IGMPFrameBuilder

private func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

private let lan = "lan0"
private let hostIP = ip("10.99.0.2")
private let hostMAC = MACAddress("02:00:00:00:00:02")!
private let querierIP = ip("10.99.0.1")
private let s1 = ip("10.0.0.1")
private let s2 = ip("10.0.0.2")

private func key(_ group: String, host: IPv4Address = hostIP) -> MembershipKey {
    MembershipKey(interface: lan, group: ip(group), host: host)
}

/// Plain RFC expiry, no holding without a querier: what most timer tests want.
private func plainTable(limits: MembershipLimits = MembershipLimits()) -> MembershipTable {
    MembershipTable(config: MembershipTableConfig(limits: limits, expireOnlyWithQuerier: false))
}

extension MembershipTable {
    fileprivate mutating func feed(_ hex: String, at now: Double) -> [MembershipAction] {
        Build.bytes(hex: hex).withUnsafeBytes { handle(frame: $0, interface: lan, now: now) }
    }

    fileprivate mutating func v3(_ records: [(IGMPRecordType, String, [IPv4Address])], host: IPv4Address = hostIP,
                                 mac: MACAddress = hostMAC, at now: Double) -> [MembershipAction] {
        let report = IGMPv3Report(records: records.map { IGMPGroupRecord(type: $0.0, group: ip($0.1), sources: $0.2) })
        return handle(.v3Report(report), interface: lan, hostMAC: mac, hostIP: host, now: now)
    }

    fileprivate mutating func v2(_ group: String, host: IPv4Address = hostIP, mac: MACAddress = hostMAC,
                                 at now: Double) -> [MembershipAction] {
        handle(.v2Report(group: ip(group)), interface: lan, hostMAC: mac, hostIP: host, now: now)
    }

    fileprivate func filter(_ key: MembershipKey) -> SourceFilter? { membership(key)?.filter }
    fileprivate func version(_ key: MembershipKey) -> Int? {
        guard case .igmp(let version, _)? = membership(key)?.origin else { return nil }
        return version
    }
}

@Suite struct IGMPMembershipTableTests {
    @Test func joinRefreshExpire() {
        var table = plainTable()
        let group = key("239.1.1.1")
        #expect(table.feed(IGMPFixtures.v3ToExclude, at: 0) == [.joined(group, mac: hostMAC, filter: .exclude(v4: []), version: 3)])
        #expect(table.memberships == [Membership(
            interface: lan, group: ip("239.1.1.1"), host: hostIP, mac: hostMAC, filter: .exclude(v4: []),
            origin: .igmp(version: 3, expiresAt: 260))])
        #expect(table.nextDeadline() == 260)

        #expect(table.feed(IGMPFixtures.v3ToExclude, at: 100) == [.refreshed(group)])
        #expect(table.nextDeadline() == 360)
        #expect(table.expire(now: 359.5) == [])
        #expect(table.expire(now: 360) == [.expired(group)])
        #expect(table.memberships.isEmpty)
        #expect(table.entryCount == 0)
        #expect(table.groupCount == 0)
        #expect(table.nextDeadline() == nil)
    }

    /// The captured v3 sequence of one Linux socket, replayed in order.
    @Test func capturedV3SessionReplayed() {
        var table = plainTable()
        let ssm = key("232.1.1.1")
        let asm = key("239.1.1.1")
        #expect(table.feed(IGMPFixtures.v3AllowAndToExclude, at: 0) == [
            .joined(ssm, mac: hostMAC, filter: .include(v4: [ip("10.0.0.12"), ip("10.0.0.13")]), version: 3),
            .joined(asm, mac: hostMAC, filter: .exclude(v4: [ip("10.0.0.21")]), version: 3),
        ])
        // The answer to the v3 query states the same filters: timers renewed, nothing else.
        #expect(table.feed(IGMPFixtures.v3CurrentState, at: 5) == [.refreshed(ssm), .refreshed(asm)])
        #expect(table.membership(asm)?.origin == .igmp(version: 3, expiresAt: 265))
        // The socket closes: TO_IN{} for the ASM group, BLOCK of both sources for the SSM group.
        #expect(table.feed(IGMPFixtures.v3SocketClosed, at: 10) == [.left(asm), .left(ssm)])
        #expect(table.memberships.isEmpty)
    }

    @Test func includeModeSourceChanges() {
        var table = plainTable()
        let ssm = key("232.1.1.1")
        #expect(table.feed(IGMPFixtures.v3AllowNew, at: 0) == [
            .joined(ssm, mac: hostMAC, filter: .include(v4: [ip("10.0.0.11")]), version: 3),
        ])
        #expect(table.v3([(.allowNewSources, "232.1.1.1", [ip("10.0.0.12"), ip("10.0.0.13")])], at: 1) == [
            .filterChanged(ssm, filter: .include(v4: [ip("10.0.0.11"), ip("10.0.0.12"), ip("10.0.0.13")])),
        ])
        #expect(table.feed(IGMPFixtures.v3BlockOldInclude, at: 2) == [
            .filterChanged(ssm, filter: .include(v4: [ip("10.0.0.12"), ip("10.0.0.13")])),
        ])
        // TO_IN replaces the whole list.
        #expect(table.v3([(.changeToInclude, "232.1.1.1", [s1])], at: 3) == [.filterChanged(ssm, filter: .include(v4: [s1]))])
        // TO_EX switches mode.
        #expect(table.v3([(.changeToExclude, "232.1.1.1", [s2])], at: 4) == [.filterChanged(ssm, filter: .exclude(v4: [s2]))])
    }

    @Test func excludeModeSourceChanges() {
        var table = plainTable()
        let asm = key("239.1.1.1")
        #expect(table.feed(IGMPFixtures.v3ToExclude, at: 0) == [.joined(asm, mac: hostMAC, filter: .exclude(v4: []), version: 3)])
        #expect(table.feed(IGMPFixtures.v3BlockOldExclude, at: 1) == [.filterChanged(asm, filter: .exclude(v4: [ip("10.0.0.21")]))])
        // Blocking the same source again changes nothing at all.
        #expect(table.feed(IGMPFixtures.v3BlockOldExclude, at: 2) == [])
        #expect(table.v3([(.blockOldSources, "239.1.1.1", [s1])], at: 3) == [
            .filterChanged(asm, filter: .exclude(v4: [s1, ip("10.0.0.21")])),
        ])
        #expect(table.v3([(.allowNewSources, "239.1.1.1", [ip("10.0.0.21")])], at: 4) == [.filterChanged(asm, filter: .exclude(v4: [s1]))])
        #expect(table.v3([(.modeIsInclude, "239.1.1.1", [s2])], at: 5) == [.filterChanged(asm, filter: .include(v4: [s2]))])
        #expect(table.v3([(.modeIsExclude, "239.1.1.1", [])], at: 6) == [.filterChanged(asm, filter: .exclude(v4: []))])
        #expect(table.v3([(.modeIsInclude, "239.1.1.1", [])], at: 7) == [.left(asm)])
    }

    @Test func v3LeaveCapturedAndLeavesForStrangersDoNothing() {
        var table = plainTable()
        let group = key("239.1.1.2")
        #expect(table.v3([(.changeToExclude, "239.1.1.2", [])], at: 0).count == 1)
        #expect(table.feed(IGMPFixtures.v3ToIncludeEmpty, at: 1) == [.left(group)])
        #expect(table.feed(IGMPFixtures.v3ToIncludeEmpty, at: 2) == [])
        #expect(table.feed(IGMPFixtures.v2Leave, at: 3) == [])
        #expect(table.v3([(.blockOldSources, "232.9.9.9", [s1])], at: 4) == [])
        #expect(table.entryCount == 0)
    }

    @Test func perSourceTimers() {
        var table = plainTable()
        let ssm = key("232.1.1.1")
        _ = table.v3([(.allowNewSources, "232.1.1.1", [s1])], at: 0)
        _ = table.v3([(.allowNewSources, "232.1.1.1", [s2])], at: 100)
        #expect(table.nextDeadline() == 260)
        #expect(table.membership(ssm)?.origin == .igmp(version: 3, expiresAt: 360))
        #expect(table.expire(now: 260) == [.filterChanged(ssm, filter: .include(v4: [s2]))])
        #expect(table.nextDeadline() == 360)
        #expect(table.expire(now: 400) == [.expired(ssm)])
    }

    @Test func leaveRemovesOnlyThatHost() {
        var table = plainTable()
        let other = ip("10.99.0.3")
        #expect(table.feed(IGMPFixtures.v2Report, at: 0) == [.joined(key("239.2.2.2"), mac: hostMAC, filter: .anySource, version: 2)])
        _ = table.v2("239.2.2.2", host: other, mac: MACAddress("02:00:00:00:00:03")!, at: 1)
        _ = table.v3([(.changeToExclude, "239.2.2.2", [])], host: ip("10.99.0.4"), mac: MACAddress("02:00:00:00:00:04")!, at: 2)
        #expect(table.feed(IGMPFixtures.v2Leave, at: 3) == [.left(key("239.2.2.2"))])
        #expect(table.memberships.map(\.host) == v4(other, ip("10.99.0.4")))
        // A v2 host leaving with an IGMPv3 TO_IN{} (it upgraded) also goes at once.
        #expect(table.v3([(.changeToInclude, "239.2.2.2", [])], host: other, at: 4) == [.left(key("239.2.2.2", host: other))])
        #expect(table.memberships.map(\.host) == v4(ip("10.99.0.4")))
    }

    @Test func v2HostNextToV3HostsInOneGroup() {
        var table = plainTable()
        let a = ip("10.99.0.2"), b = ip("10.99.0.3")
        _ = table.v3([(.allowNewSources, "232.1.1.1", [s1])], host: a, at: 0)
        _ = table.v2("232.1.1.1", host: b, mac: MACAddress("02:00:00:00:00:03")!, at: 0)
        #expect(table.filter(key("232.1.1.1", host: a)) == .include(v4: [s1]))
        #expect(table.version(key("232.1.1.1", host: a)) == 3)
        #expect(table.filter(key("232.1.1.1", host: b)) == .anySource)
        #expect(table.version(key("232.1.1.1", host: b)) == 2)
    }

    /// RFC 3376 section 7.3.2 for one host: while its v2 host-present timer runs it wants every
    /// source, BLOCK is ignored and TO_EX loses its sources; afterwards its v3 filter applies.
    @Test func hostInIGMPv2CompatibilityMode() {
        var table = plainTable()
        let group = key("239.9.9.9")
        _ = table.v2("239.9.9.9", at: 0)
        #expect(table.v3([(.allowNewSources, "239.9.9.9", [s1])], at: 10) == [.refreshed(group)])
        #expect(table.filter(group) == .anySource)
        #expect(table.v3([(.blockOldSources, "239.9.9.9", [s1])], at: 11) == [])
        #expect(table.expire(now: 260) == [.filterChanged(group, filter: .include(v4: [s1]))])
        #expect(table.version(group) == 3)
        #expect(table.expire(now: 270) == [.expired(group)])

        _ = table.v2("239.9.9.9", at: 300)
        _ = table.v3([(.changeToExclude, "239.9.9.9", [s2])], at: 310)
        #expect(table.filter(group) == .anySource)
        #expect(table.expire(now: 560) == [])
        #expect(table.version(group) == 3)
        #expect(table.filter(group) == .exclude(v4: []))  // TO_EX's source list was dropped in v2 mode
    }

    @Test func hostInIGMPv1CompatibilityMode() {
        var table = plainTable()
        let group = key("239.3.3.3")
        #expect(table.feed(IGMPFixtures.v1Report, at: 0) == [.joined(group, mac: hostMAC, filter: .anySource, version: 1)])
        // v1 mode ignores leaves and TO_IN (a v1 host cannot leave).
        #expect(table.handle(.v2Leave(group: ip("239.3.3.3")), interface: lan, hostMAC: hostMAC, hostIP: hostIP, now: 1) == [])
        #expect(table.v3([(.changeToInclude, "239.3.3.3", [])], at: 2) == [])
        #expect(table.v3([(.blockOldSources, "239.3.3.3", [s1])], at: 3) == [])
        #expect(table.version(group) == 1)
        #expect(table.expire(now: 260) == [.expired(group)])
    }

    @Test func macChange() {
        var table = plainTable()
        let newMAC = MACAddress("02:00:00:00:00:99")!
        _ = table.v2("239.2.2.2", at: 0)
        #expect(table.v2("239.2.2.2", mac: newMAC, at: 1) == [.macChanged(key("239.2.2.2"), mac: newMAC)])
        #expect(table.memberships.first?.mac == newMAC)
    }

    @Test func querierTimerValuesAreAdopted() {
        var table = plainTable()
        let v3Timers = IGMPTimerValues(robustness: 2, queryInterval: 30, queryResponseInterval: 1)
        #expect(table.feed(IGMPFixtures.v3Query, at: 0) == [
            .querierHeard(interface: lan, address: .v4(querierIP), version: 3, timers: v3Timers),
        ])
        #expect(table.timers(interface: lan).membershipInterval == 61)
        #expect(table.timers(interface: "lan1").membershipInterval == 260)
        #expect(table.querier(interface: lan)?.address == .v4(querierIP))
        // The same querier again: nothing new to say.
        #expect(table.feed(IGMPFixtures.v3Query, at: 10) == [])
        _ = table.feed(IGMPFixtures.v3ToExclude, at: 20)
        #expect(table.membership(key("239.1.1.1"))?.origin == .igmp(version: 3, expiresAt: 81))

        // A v2 querier carries only its max response time (1 s here): robustness and query
        // interval are the configured ones again (RFC 3376 8.1, 8.2), not the last v3 querier's.
        let v2Timers = IGMPTimerValues(robustness: 2, queryInterval: 125, queryResponseInterval: 1)
        #expect(table.feed(IGMPFixtures.v2Query, at: 30) == [
            .querierHeard(interface: lan, address: .v4(querierIP), version: 2, timers: v2Timers),
        ])
        // A group-specific query's max response time is not the query response interval.
        let specific = IGMPQuery(version: 3, group: ip("239.1.1.1"), maxResponseCode: 50, robustness: 5, queryIntervalCode: 60)
        _ = table.handle(.query(specific), interface: lan, hostMAC: Build.routerMAC, hostIP: querierIP, now: 40)
        #expect(table.timers(interface: lan) == v2Timers)
        // A general one with QRV 0 keeps the robustness, takes QQIC and max response time.
        let general = IGMPQuery(version: 3, group: IPv4Address(0), maxResponseCode: 0x81, robustness: 0, queryIntervalCode: 0x90)
        _ = table.handle(.query(general), interface: lan, hostMAC: Build.routerMAC, hostIP: querierIP, now: 50)
        #expect(table.timers(interface: lan) == IGMPTimerValues(robustness: 2, queryInterval: 256, queryResponseInterval: 13.6))
        #expect(table.stats.query == 5)
    }

    /// Without a querier, nobody asks hosts to report again: entries are held, not expired.
    @Test func entriesAreHeldWhileNoQuerierIsPresent() {
        var table = MembershipTable()  // expireOnlyWithQuerier by default
        let group = key("239.1.1.1")
        _ = table.feed(IGMPFixtures.v3ToExclude, at: 0)
        #expect(table.expiryIsHeld(interface: lan))
        #expect(table.nextDeadline() == nil)
        #expect(table.expire(now: 1000) == [])
        #expect(table.memberships.count == 1)

        // A querier appears: every entry gets one membership interval (61 s with its values).
        #expect(table.feed(IGMPFixtures.v3Query, at: 1000).count == 1)
        #expect(table.membership(group)?.origin == .igmp(version: 3, expiresAt: 1061))
        #expect(!table.expiryIsHeld(interface: lan))
        #expect(table.nextDeadline() == 1060.5)  // the querier's own present interval runs out first
        // It falls silent before the host's timer runs out: the host is held again.
        #expect(table.expire(now: 1061) == [.querierLost(interface: lan, address: .v4(querierIP))])
        #expect(table.memberships.count == 1)
        #expect(table.nextDeadline() == nil)

        // Back again and querying on time; the host does not answer: it expires.
        _ = table.feed(IGMPFixtures.v3Query, at: 1100)
        _ = table.feed(IGMPFixtures.v3Query, at: 1150)
        #expect(table.nextDeadline() == 1161)
        #expect(table.expire(now: 1161) == [.expired(group)])
    }

    @Test func limitsRefuseNewEntriesAndCountWhy() {
        var table = plainTable(limits: MembershipLimits(maxGroups: 2, maxHostsPerGroup: 2, maxEntries: 4))
        let h2 = ip("10.99.0.3"), h3 = ip("10.99.0.4")
        let mac2 = MACAddress("02:00:00:00:00:03")!, mac3 = MACAddress("02:00:00:00:00:04")!
        #expect(table.v2("239.0.1.1", at: 0).count == 1)
        #expect(table.v2("239.0.1.2", at: 0).count == 1)
        #expect(table.v2("239.0.1.3", at: 0) == [.refused(key("239.0.1.3"), .tooManyGroups)])
        #expect(table.v2("239.0.1.1", host: h2, mac: mac2, at: 0).count == 1)
        #expect(table.v2("239.0.1.1", host: h3, mac: mac3, at: 0) == [.refused(key("239.0.1.1", host: h3), .tooManyHostsInGroup)])
        #expect(table.v2("239.0.1.2", host: h2, mac: mac2, at: 0).count == 1)
        // One v3 report, two records: the known entry is refreshed, the new one refused.
        #expect(table.v3([(.changeToExclude, "239.0.1.1", []), (.changeToExclude, "239.0.1.2", [])], host: h3, mac: mac3, at: 1) == [
            .refused(key("239.0.1.1", host: h3), .tooManyEntries),
            .refused(key("239.0.1.2", host: h3), .tooManyEntries),
        ])
        #expect(table.v2("239.0.1.1", at: 2) == [.refreshed(key("239.0.1.1"))])
        #expect(table.entryCount == 4)
        #expect(table.stats.refused(.tooManyGroups) == 1)
        #expect(table.stats.refused(.tooManyHostsInGroup) == 1)
        #expect(table.stats.refused(.tooManyEntries) == 2)
        #expect(table.stats.refusedTotal == 4)
        // Room again after a leave.
        _ = table.handle(.v2Leave(group: ip("239.0.1.2")), interface: lan, hostMAC: mac2, hostIP: h2, now: 3)
        #expect(table.v2("239.0.1.2", host: h3, mac: mac3, at: 4).count == 1)
    }

    @Test func sourceListsAreBounded() {
        var table = plainTable(limits: MembershipLimits(maxSourcesPerEntry: 3))
        let group = key("232.1.1.1")
        let sources = (1...4).map { IPv4Address(10, 0, 0, UInt8($0)) }
        #expect(table.v3([(.allowNewSources, "232.1.1.1", Array(sources[0..<4]))], at: 0) == [.refused(group, .tooManySources)])
        #expect(table.v3([(.allowNewSources, "232.1.1.1", Array(sources[0..<3]))], at: 0).count == 1)
        // Growing past the limit keeps the entry as it was.
        #expect(table.v3([(.allowNewSources, "232.1.1.1", [sources[3]])], at: 1) == [.refused(group, .tooManySources)])
        #expect(table.filter(group) == .include(v4: Array(sources[0..<3])))
        #expect(table.v3([(.changeToExclude, "232.1.1.1", sources)], at: 2) == [.refused(group, .tooManySources)])
        #expect(table.v3([(.changeToExclude, "232.1.1.1", [sources[0]])], at: 2) == [.filterChanged(group, filter: .exclude(v4: [sources[0]]))])
        #expect(table.stats.refused(.tooManySources) == 3)
    }

    @Test func linkLocalNonMulticastAndBadSenders() {
        var table = plainTable()
        #expect(table.v2("224.0.0.251", at: 0) == [.discarded(.linkLocalGroup(.v4(ip("224.0.0.251"))))])
        #expect(table.v2("10.1.2.3", at: 0) == [.discarded(.notMulticast(.v4(ip("10.1.2.3"))))])
        #expect(table.v3([(.changeToExclude, "224.0.0.252", []), (.changeToExclude, "239.1.1.1", [])], at: 0) == [
            .discarded(.linkLocalGroup(.v4(ip("224.0.0.252")))),
            .joined(key("239.1.1.1"), mac: hostMAC, filter: .anySource, version: 3),
        ])
        #expect(table.v2("239.1.1.2", host: IPv4Address(0), at: 0) == [.discarded(.unspecifiedSender)])
        #expect(table.v2("239.1.1.2", mac: MACAddress("01:00:5e:01:01:02")!, at: 0) == [.discarded(.invalidSender(.v4(hostIP)))])
        #expect(table.v2("239.1.1.2", host: ip("239.1.1.2"), at: 0) == [.discarded(.invalidSender(.v4(ip("239.1.1.2"))))])
        let truncated = Array(Build.bytes(hex: IGMPFixtures.v2Report).dropLast())
        #expect(truncated.withUnsafeBytes { table.handle(frame: $0, interface: lan, now: 0) } == [
            .discarded(.unparsable(.badTotalLength(32))),
        ])
        #expect(table.memberships.map(\.group) == v4(ip("239.1.1.1")))
        #expect(table.stats.ignored == 3)
        #expect(table.stats.invalid == 4)
        #expect(table.stats.v2Report == 5)
        #expect(table.stats.v3Report == 1)
    }

    @Test func countsByMessageTypeOverTheCapture() {
        var table = MembershipTable()
        for (_, hex) in IGMPFixtures.all { _ = table.feed(hex, at: 0) }
        var expected = IGMPSnoopingStats()
        expected.query = 3
        expected.v1Report = 1
        expected.v2Report = 1
        expected.v3Report = 8
        expected.leave = 1
        #expect(table.stats == expected)
    }

    @Test func actionsSayWhetherForwardingChanges() {
        let k = key("239.1.1.1")
        #expect(MembershipAction.joined(k, mac: hostMAC, filter: .anySource, version: 3).changesForwarding)
        #expect(MembershipAction.left(k).changesForwarding)
        #expect(MembershipAction.expired(k).changesForwarding)
        #expect(MembershipAction.filterChanged(k, filter: .anySource).changesForwarding)
        #expect(MembershipAction.macChanged(k, mac: hostMAC).changesForwarding)
        #expect(!MembershipAction.refreshed(k).changesForwarding)
        #expect(!MembershipAction.refused(k, .tooManyGroups).changesForwarding)
        #expect(!MembershipAction.discarded(.unspecifiedSender).changesForwarding)
    }
}
