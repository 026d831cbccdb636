import Testing
@testable import MUTCore

/// nl80211 station events: the generic netlink parsing (bytes as the kernel sends them) and
/// what the control plane does with them.
struct StationTests {
    static let family: UInt16 = 0x1c
    static let stationMAC = MACAddress("02:00:00:00:00:20")!

    /// nlmsghdr + genlmsghdr + attributes, little-endian as on x86.
    static func message(type: UInt16, command: UInt8, attributes: [(UInt16, [UInt8])]) -> [UInt8] {
        Netlink.request(type: type, flags: 0, sequence: 0, payload: GenericNetlink.request(command: command, attributes: attributes))
    }

    static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
    static func macBytes(_ mac: MACAddress) -> [UInt8] { (0..<6).map { mac.byte($0) } }

    static func parse(_ bytes: [UInt8]) -> [StationEvent] {
        bytes.withUnsafeBytes { raw in Netlink.messages(in: raw).compactMap { StationEvent.parse($0, family: family) } }
    }

    @Test func newAndDeletedStationsParse() {
        let new = Self.message(type: Self.family, command: 19, attributes: [(3, Self.le32(7)), (6, Self.macBytes(Self.stationMAC))])
        let del = Self.message(type: Self.family, command: 20, attributes: [(6, Self.macBytes(Self.stationMAC)), (3, Self.le32(7))])
        #expect(Self.parse(new + del) == [StationEvent(kind: .associated, interfaceIndex: 7, mac: Self.stationMAC),
                                          StationEvent(kind: .left, interfaceIndex: 7, mac: Self.stationMAC)])
    }

    @Test func malformedOrForeignMessagesAreIgnored() {
        let mac = Self.macBytes(Self.stationMAC)
        #expect(Self.parse(Self.message(type: 0x1d, command: 19, attributes: [(3, Self.le32(7)), (6, mac)])).isEmpty)  // another family
        #expect(Self.parse(Self.message(type: Self.family, command: 17, attributes: [(3, Self.le32(7)), (6, mac)])).isEmpty)  // GET_STATION
        #expect(Self.parse(Self.message(type: Self.family, command: 19, attributes: [(6, mac)])).isEmpty)  // no interface
        #expect(Self.parse(Self.message(type: Self.family, command: 19, attributes: [(3, Self.le32(7)), (6, Array(mac.prefix(5)))])).isEmpty)
        #expect(Self.parse(Self.message(type: Self.family, command: 19, attributes: [(3, Self.le32(7)), (6, [1, 0, 0x5e, 0, 0, 1])])).isEmpty)
        // A header that claims more than the datagram holds, and an attribute that lies about its length.
        var truncated = Self.message(type: Self.family, command: 20, attributes: [(3, Self.le32(7)), (6, mac)])
        truncated[0] = 200
        #expect(Self.parse(truncated).isEmpty)
        var lying = Self.message(type: Self.family, command: 20, attributes: [(3, Self.le32(7)), (6, mac)])
        lying[20] = 0xFF
        #expect(Self.parse(lying).isEmpty)
        #expect(Self.parse([]).isEmpty)
        #expect(Self.parse(Array(Self.message(type: Self.family, command: 20, attributes: []).prefix(18))).isEmpty)
    }

    @Test func theControllerNamesTheFamilyAndItsGroups() {
        func group(_ name: String, _ id: UInt32) -> [UInt8] {
            let nameBytes = Array(name.utf8) + [0]
            let fields = GenericNetlink.request(command: 0, attributes: [(1, nameBytes), (2, Self.le32(id))]).dropFirst(4)
            return [UInt8(4 + fields.count), 0, 1, 0] + fields
        }
        let groups = group("config", 5) + group("mlme", 7)
        let reply = Self.message(type: 0x10, command: 1, attributes: [(2, Array("nl80211".utf8) + [0]), (1, [0x1c, 0]), (7, groups)])
        let family = reply.withUnsafeBytes { Netlink.messages(in: $0).compactMap(GenericNetlink.family(from:)).first }
        #expect(family == GenericNetlink.Family(id: 0x1c, name: "nl80211", multicastGroups: ["config": 5, "mlme": 7]))
    }

    typealias C = ControlPlaneTests

    @Test func aStationThatLeavesTakesItsMembershipsAtOnce() {
        var core = C.core()
        core.start(savedState: nil, now: 0)
        C.turn(&core, at: 0, heard: [(C.v2Report(C.group, from: C.hostA, mac: C.macA), .incoming),
                                     (C.v2Report(C.group, from: C.hostB, mac: C.macB), .incoming)])
        core.station(StationEvent(kind: .left, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 1)
        let effects = core.takeEffects()
        #expect(C.members(C.published(effects).first).keys.sorted() == [C.hostB])
        #expect(effects.contains { if case .log(_, let line) = $0 { line.contains("with its Wi-Fi station") } else { false } })
        #expect(core.stationsLeft == 1)
        // An AP mutd does not serve changes nothing.
        core.station(StationEvent(kind: .left, interfaceIndex: 12, mac: C.macB), on: nil, now: 2)
        #expect(C.published(core.takeEffects()).isEmpty)
    }

    @Test func aStationThatComesBackIsAskedAtOnce() {
        var core = C.core()
        core.start(savedState: nil, now: 0)
        C.turn(&core, at: 0, heard: [(C.v2Report(C.group, from: C.hostA, mac: C.macA), .incoming)])
        core.station(StationEvent(kind: .left, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 1)
        _ = core.takeEffects()
        core.station(StationEvent(kind: .associated, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 5)
        let queries = C.queries(core.takeEffects())
        #expect(queries.count == 1)
        #expect(queries.first.map { Array($0.1.prefix(6)) } == C.macBytes(C.macA))
        // Its answer brings its copies back.
        C.turn(&core, at: 5.5, heard: [(C.v2Report(C.group, from: C.hostA, mac: C.macA), .incoming)])
        #expect(core.memberships.map(\.host) == v4(C.hostA))
    }

    @Test func mutctlGroupsSaysWhyAMembershipEnded() throws {
        var core = C.core(querier: true, queryInterval: 10)  // silent hosts expire under a querier
        core.start(savedState: nil, now: 0)
        C.turn(&core, at: 0, heard: [(C.v2Report(C.group, from: C.hostA, mac: C.macA), .incoming),
                                     (C.v2Report(C.group, from: C.hostB, mac: C.macB), .incoming)])
        core.station(StationEvent(kind: .left, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 5)
        // hostB goes silent: it expires after the membership interval (2 x 10 + 1 s).
        for second in 6...30 { C.turn(&core, at: Double(second)) }
        let ended = core.recentlyEnded(now: 35)
        #expect(ended.map(\.host) == v4(C.hostB, C.hostA))
        #expect(ended.map(\.why) == [.expired, .stationLeft])
        #expect(ended.map(\.secondsAgo) == [14, 30])
        var report = GroupsReport(groups: [])
        report.ended = ended
        #expect(report.table.contains("station left"))
        #expect(report.table.contains("expired"))
        #expect(try GroupsReport(json: JSONParser.parse(report.json.serialized)) == report)
        // Forgotten after ten minutes.
        #expect(core.recentlyEnded(now: 5 + ControlPlane.endedMemory + 1).map(\.why) == [.expired])
    }

    @Test func anAssociatedStationIsAskedAgainAfterItsHandshake() {
        var core = C.core()
        core.start(savedState: nil, now: 0)
        core.station(StationEvent(kind: .associated, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 10)
        #expect(C.queries(core.takeEffects()).count == 1)
        #expect(core.nextDeadline().map { $0 <= 11 } == true)
        // The query at once may have met a station still in its WPA handshake: asked at 1 s and 3 s.
        var askedAt: [Double] = []
        for step in 1...100 {
            let now = 10 + Double(step) * 0.1
            core.tick(now: now)
            for query in C.queries(core.takeEffects()) where Array(query.1.prefix(6)) == C.macBytes(C.macA) { askedAt.append(now) }
        }
        #expect(askedAt.count == 2)
        #expect(askedAt.first.map { abs($0 - 11) < 0.05 } == true)
        #expect(askedAt.last.map { abs($0 - 13) < 0.05 } == true)
        // A station that leaves before then is not asked again.
        core.station(StationEvent(kind: .associated, interfaceIndex: 9, mac: C.macB), on: C.lan, now: 30)
        core.station(StationEvent(kind: .left, interfaceIndex: 9, mac: C.macB), on: C.lan, now: 30.5)
        _ = core.takeEffects()
        core.tick(now: 40)
        #expect(C.queries(core.takeEffects()).filter { Array($0.1.prefix(6)) == C.macBytes(C.macB) }.isEmpty)
    }

    @Test func aStaticSubscribersStationLeavingStopsItsCopies() {
        var core = C.core(statics: [StaticSubscriber(group: C.group, client: C.hostA, interface: C.lan)])
        core.start(savedState: nil, now: 0)
        core.neighbour(NeighbourEvent(kind: .update, interfaceIndex: 7, address: C.hostA, mac: C.macA, state: 0x02), now: 0)
        #expect(C.members(C.published(core.takeEffects()).last)[C.hostA] == C.macA)
        core.station(StationEvent(kind: .left, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 1)
        #expect(C.members(C.published(core.takeEffects()).last)[C.hostA] == .some(nil))
        var status = StatusReport(version: "test", enabled: true, interfaces: [C.lan], queues: [0], uptimeSeconds: 1)
        core.fill(&status, now: 1)
        #expect(status.stationsLeft == 1)
        #expect(status.neighbourFailures == 0, "a station leaving is not a neighbour failure")
        core.station(StationEvent(kind: .associated, interfaceIndex: 9, mac: C.macA), on: C.lan, now: 2)
        #expect(C.members(C.published(core.takeEffects()).last)[C.hostA] == C.macA)
    }
}

extension ControlPlaneTests {
    static func macBytes(_ mac: MACAddress) -> [UInt8] { (0..<6).map { mac.byte($0) } }
}
