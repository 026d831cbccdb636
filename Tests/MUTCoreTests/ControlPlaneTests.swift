import Testing
@testable import MUTCore

/// The control plane with a scripted clock: events in, effects out, no root and no sockets.
struct ControlPlaneTests {
    typealias B = IGMPFrameBuilder
    static let lan = "lan0"
    static let routerIP = IPv4Address(10, 99, 0, 1)
    static let routerMAC = MACAddress("02:00:00:00:00:b0")!
    static let group = IPv4Address(239, 1, 1, 1)
    static let hostA = IPv4Address(10, 99, 0, 20)
    static let hostB = IPv4Address(10, 99, 0, 21)
    static let macA = MACAddress("02:00:00:00:00:20")!
    static let macB = MACAddress("02:00:00:00:00:21")!

    /// Query interval 2 s, max response 1 s, robustness 2: membership interval 5 s.
    static func core(querier: Bool = false, address: IPv4Address? = routerIP, statics: [StaticSubscriber] = [],
                     bootID: String = "boot-1", perHostQueries: Bool = true, queryInterval: Double = 2) -> ControlPlane {
        var config = DaemonConfig(interfaces: [lan], staticSubscribers: statics)
        config.membership.defaultTimers = IGMPTimerValues(robustness: 2, queryInterval: queryInterval, queryResponseInterval: 1)
        config.querier = querier
        config.querierVersion = 2
        config.perHostQueries = perHostQueries
        let link = ServedInterface(name: lan, index: 7, mac: routerMAC, address: address)
        return ControlPlane(config: config, interfaces: [link], bootID: bootID)
    }

    static func v2Report(_ group: IPv4Address, from host: IPv4Address, mac: MACAddress) -> [UInt8] {
        B.frame(B.message(type: 0x16, body: B.address(group)), sourceMAC: mac, source: host, destination: group)
    }

    static func v2Query(from source: IPv4Address, mac: MACAddress = routerMAC) -> [UInt8] {
        B.frame(B.message(type: 0x11, code: 10, body: B.address(IPv4Address(0))), sourceMAC: mac, source: source,
                destination: IPv4Address(224, 0, 0, 1))
    }

    static func v3Query(from source: IPv4Address, qrv: UInt8, qqic: UInt8) -> [UInt8] {
        B.frame(B.v3Query(maxResponseCode: 10, flags: qrv, qqic: qqic), sourceMAC: routerMAC, source: source,
                destination: IPv4Address(224, 0, 0, 1))
    }

    /// Runs the turn the daemon would run at `now` (frames, then the timers) and returns the effects.
    @discardableResult
    static func turn(_ core: inout ControlPlane, at now: Double, heard frames: [([UInt8], FrameDirection)] = []) -> [ControlEffect] {
        for (frame, direction) in frames {
            frame.withUnsafeBytes { core.heard(frame: $0, interface: lan, direction: direction, now: now) }
        }
        core.tick(now: now)
        return core.takeEffects()
    }

    static func published(_ effects: [ControlEffect]) -> [TableInputs] {
        effects.compactMap { if case .publishTable(let inputs) = $0 { inputs } else { nil } }
    }

    static func queries(_ effects: [ControlEffect]) -> [(QueryKind, [UInt8])] {
        effects.compactMap { if case .sendFrame(_, let frame, let kind) = $0 { (kind, frame) } else { nil } }
    }

    static func members(_ inputs: TableInputs?) -> [IPv4Address: MACAddress?] {
        Dictionary((inputs?.memberships ?? []).compactMap { m in m.host.v4.map { ($0, m.mac) } }, uniquingKeysWith: { a, _ in a })
    }

    @Test func theRoutersOwnQueriesMakeItTheQuerierAndASilentHostExpires() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        _ = core.takeEffects()
        Self.turn(&core, at: 0.5, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming),
                                          (Self.v2Report(Self.group, from: Self.hostB, mac: Self.macB), .incoming)])
        // igmpproxy on the router queries from the router's own address: mutd hears it outgoing.
        var t = 1.0
        var lastA: [ControlEffect] = []
        while t < 12 {
            var frames: [([UInt8], FrameDirection)] = [(Self.v2Query(from: Self.routerIP), .outgoing)]
            if t < 2 { frames.append((Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)) }
            frames.append((Self.v2Report(Self.group, from: Self.hostB, mac: Self.macB), .incoming))
            let effects = Self.turn(&core, at: t, heard: frames)
            if !Self.published(effects).isEmpty { lastA = effects }
            t += 1
        }
        let record = core.table.querier(interface: Self.lan)
        #expect(record?.address == .v4(Self.routerIP))
        #expect(record?.origin == .thisHost)
        #expect(core.querierStatus(now: t).first?.isThisHost == true)
        // A's last report at 1 s; membership interval 2 × 2 + 1 = 5 s: gone at 6 s, B stays.
        #expect(Self.members(Self.published(lastA).last).keys.sorted() == [Self.hostB])
        #expect(core.memberships.map(\.host) == v4(Self.hostB))
    }

    @Test func withoutAnyQuerierASilentHostIsHeld() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        Self.turn(&core, at: 600)
        #expect(core.memberships.map(\.host) == v4(Self.hostA))
    }

    @Test func theRoutersOwnReportsAreNotAClient() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 1, heard: [(Self.v2Report(Self.group, from: Self.routerIP, mac: Self.routerMAC), .outgoing)])
        #expect(core.memberships.isEmpty)
    }

    @Test func aLowerAddressQuerierWinsAndMutdStopsQuerying() {
        var core = Self.core(querier: true)
        core.start(savedState: nil, now: 0)
        var general = 0
        for step in 0..<20 { general += Self.queries(Self.turn(&core, at: Double(step) * 0.5)).filter { $0.0 == .general }.count }
        #expect(general >= 3)
        #expect(core.table.querier(interface: Self.lan)?.origin == .mutd)
        let lower = IPv4Address(10, 99, 0, 0)
        var during = 0
        var logs: [String] = []
        for step in 0..<20 {
            let effects = Self.turn(&core, at: 10 + Double(step) * 0.5, heard: [(Self.v2Query(from: lower, mac: Self.macA), .incoming)])
            during += Self.queries(effects).count
            logs += effects.compactMap { if case .log(_, let line) = $0 { line } else { nil } }
        }
        #expect(during == 0)
        #expect(logs.contains { $0.contains("has a lower address than ours") })
        // Silent for longer than the other-querier-present interval (2 × 2 + 0.5 s): mutd takes over.
        var after = 0
        for step in 0..<20 { after += Self.queries(Self.turn(&core, at: 20 + Double(step) * 0.5)).filter { $0.0 == .general }.count }
        #expect(after >= 1)
    }

    @Test func anotherProgramOnThisHostOutranksMutd() {
        var core = Self.core(querier: true)
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0)
        var sent = 0
        for step in 1..<20 {
            sent += Self.queries(Self.turn(&core, at: Double(step) * 0.5, heard: [(Self.v2Query(from: Self.routerIP), .outgoing)])).count
        }
        #expect(sent == 0)
        #expect(core.table.querier(interface: Self.lan)?.origin == .thisHost)
    }

    @Test func aHigherAddressQuerierDoesNotTakeTheRecord() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0, heard: [(Self.v2Query(from: Self.routerIP), .outgoing),
                                        (Self.v2Query(from: Self.hostB, mac: Self.macB), .incoming)])
        #expect(core.table.querier(interface: Self.lan)?.address == .v4(Self.routerIP))
    }

    @Test func v3QRVAndQQICSetTheTimers() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        // QRV 3, QQIC 20 s: membership interval 3 × 20 + 1 = 61 s.
        Self.turn(&core, at: 0, heard: [(Self.v3Query(from: Self.routerIP, qrv: 3, qqic: 20), .outgoing),
                                        (Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        let status = core.querierStatus(now: 1).first
        #expect(status?.robustness == 3)
        #expect(status?.queryInterval == 20)
        #expect(status?.membershipInterval == 61)
        #expect(status?.version == 3)
        Self.turn(&core, at: 40, heard: [(Self.v3Query(from: Self.routerIP, qrv: 3, qqic: 20), .outgoing)])
        #expect(core.memberships.count == 1)
        Self.turn(&core, at: 60, heard: [(Self.v3Query(from: Self.routerIP, qrv: 3, qqic: 20), .outgoing)])
        Self.turn(&core, at: 61.5)
        #expect(core.memberships.isEmpty)
    }

    @Test func aMACChangeMovesTheCopies() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        let moved = MACAddress("02:00:00:00:00:99")!
        core.neighbour(NeighbourEvent(kind: .update, interfaceIndex: 7, address: Self.hostA, mac: moved, state: 0x02), now: 1)
        let effects = core.takeEffects()
        #expect(Self.published(effects).count == 1)
        #expect(Self.members(Self.published(effects).first)[Self.hostA] == moved)
    }

    @Test func aNeighbourFailureStopsOneHostsCopies() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming),
                                        (Self.v2Report(Self.group, from: Self.hostB, mac: Self.macB), .incoming)])
        core.neighbour(NeighbourEvent(kind: .update, interfaceIndex: 7, address: Self.hostA, mac: nil, state: NeighbourEvent.stateFailed), now: 1)
        let members = Self.members(Self.published(core.takeEffects()).first)
        #expect(members[Self.hostA] == .some(nil))
        #expect(members[Self.hostB] == Self.macB)
        // Its next report says it is back.
        Self.turn(&core, at: 2, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        #expect(core.memberships.first { $0.host == .v4(Self.hostA) }?.mac == Self.macA)
    }

    @Test func aRestartFromTheSnapshotRestoresCopiesWithoutAnyReport() {
        var before = Self.core(statics: [])
        before.start(savedState: nil, now: 0)
        Self.turn(&before, at: 0, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        _ = before.request(.add(StaticSubscriber(group: Self.group, client: Self.hostB)), uid: 0, now: 1)
        let saved = before.takeEffects().compactMap { if case .saveState(let s) = $0 { s } else { nil } }.last
        #expect(saved != nil)
        var after = Self.core()
        after.start(savedState: saved?.json.serialized, now: 5)
        let first = Self.published(after.takeEffects())
        #expect(first.count == 1)
        #expect(Self.members(first.first)[Self.hostA] == Self.macA)
        #expect(Self.members(first.first).keys.contains(Self.hostB))
        // Another boot's file is ignored.
        var otherBoot = Self.core(bootID: "boot-2")
        otherBoot.start(savedState: saved?.json.serialized, now: 5)
        #expect(otherBoot.memberships.isEmpty)
    }

    @Test func oneTablePublicationPerEffectiveChange() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        #expect(Self.published(core.takeEffects()).count == 1)
        let report = Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA)
        #expect(Self.published(Self.turn(&core, at: 1, heard: [(report, .incoming)])).count == 1)
        // The same report again only refreshes timers; a query and a neighbour echo change nothing.
        #expect(Self.published(Self.turn(&core, at: 2, heard: [(report, .incoming), (Self.v2Query(from: Self.routerIP), .outgoing)])).isEmpty)
        core.neighbour(NeighbourEvent(kind: .update, interfaceIndex: 7, address: Self.hostA, mac: Self.macA, state: 0x02), now: 3)
        #expect(Self.published(core.takeEffects()).isEmpty)
        #expect(core.request(.enable, uid: 0, now: 4) == .done("translation enabled (it already was)"))
        #expect(Self.published(core.takeEffects()).isEmpty)
        #expect(core.request(.disable, uid: 0, now: 5) == .done("translation disabled"))
        #expect(Self.published(core.takeEffects()).map(\.enabled) == [false])
        #expect(core.publications == 3)
    }

    @Test func aStaticMemberWithoutAMACIsResolvedWithBackoff() {
        var core = Self.core(statics: [StaticSubscriber(group: Self.group, client: Self.hostA, interface: Self.lan)])
        core.start(savedState: nil, now: 0)
        var requests: [Double] = []
        var t = 0.0
        while t < 40 {
            let effects = Self.turn(&core, at: t)
            if effects.contains(where: { if case .resolveNeighbour(_, .v4(Self.hostA)) = $0 { true } else { false } }) { requests.append(t) }
            t += 0.5
        }
        // Every second for ten attempts, then every ten seconds.
        #expect(requests.prefix(11) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(Array(requests.dropFirst(11).prefix(2)) == [20, 30])
        core.neighbour(NeighbourEvent(kind: .update, interfaceIndex: 7, address: Self.hostA, mac: Self.macA, state: 0x02), now: 40)
        #expect(Self.members(Self.published(core.takeEffects()).first)[Self.hostA] == Self.macA)
        #expect(!Self.turn(&core, at: 60).contains { if case .resolveNeighbour = $0 { true } else { false } })
    }

    @Test func aLeaveIsFollowedByLastMemberQueries() {
        var core = Self.core(querier: true)
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        let leave = B.frame(B.message(type: 0x17, body: B.address(Self.group)), sourceMAC: Self.macA, source: Self.hostA,
                            destination: IPv4Address(224, 0, 0, 2))
        var groupQueries = 0
        var t = 0.5
        groupQueries += Self.queries(Self.turn(&core, at: t, heard: [(leave, .incoming)])).filter { $0.0 == .groupSpecific }.count
        #expect(core.memberships.isEmpty)
        t += 0.25
        while t < 5 {
            groupQueries += Self.queries(Self.turn(&core, at: t)).filter { $0.0 == .groupSpecific }.count
            t += 0.25
        }
        // Robustness 2: two group-specific queries.
        #expect(groupQueries == 2)
    }

    @Test func controlRequestsNameTheBadInterface() {
        var core = Self.core()
        core.start(savedState: nil, now: 0)
        let entry = StaticSubscriber(group: Self.group, client: Self.hostA, interface: "eth9")
        #expect(core.request(.add(entry), uid: 0, now: 1) == .refused("interface eth9 is not served by mutd (it serves lan0)"))
        #expect(core.request(.del(StaticSubscriber(group: Self.group, client: Self.hostA)), uid: 0, now: 1)
                == .refused("no static subscriber 239.1.1.1,10.99.0.20,lan0"))
    }

    @Test(arguments: [true, false])
    func besideAnotherQuerierV2MembersAreQueriedOneByOne(perHostQueries: Bool) {
        // Query interval 5 s: per-host queries fit between two general queries' response windows.
        var core = Self.core(perHostQueries: perHostQueries, queryInterval: 5)
        core.start(savedState: nil, now: 0)
        Self.turn(&core, at: 0, heard: [(Self.v2Report(Self.group, from: Self.hostA, mac: Self.macA), .incoming)])
        // B joined too, but its join report was suppressed: mutd knows it only as a neighbour.
        core.neighbour(NeighbourEvent(kind: .update, interfaceIndex: 7, address: Self.hostB, mac: Self.macB, state: 0x02), now: 0)
        var sent: [(QueryKind, [UInt8])] = []
        var t = 0.25
        while t < 20 {
            let routerQuery = t.truncatingRemainder(dividingBy: 5) == 0
            sent += Self.queries(Self.turn(&core, at: t, heard: routerQuery ? [(Self.v2Query(from: Self.routerIP), .outgoing)] : []))
            t += 0.25
        }
        guard perHostQueries else {
            #expect(sent.isEmpty)
            return
        }
        #expect(sent.allSatisfy { $0.0 == .perHost })
        let destinations = sent.map { MACAddress(bytes: ($0.1[0], $0.1[1], $0.1[2], $0.1[3], $0.1[4], $0.1[5])) }
        #expect(destinations.filter { $0 == Self.macA }.count >= 2)
        #expect(destinations.filter { $0 == Self.macB }.count >= 2)
        // In the querier's version (v2: an 8-byte IGMP message after a 24-byte IPv4 header).
        #expect(sent.allSatisfy { $0.1.count == 14 + 24 + 8 })
        #expect(core.perHostQueriesSent == UInt64(sent.count))
    }
}
