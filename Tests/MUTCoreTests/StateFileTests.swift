import Testing
@testable import MUTCore

@Suite struct StateFileTests {
    let group = IPv4Address(239, 1, 1, 1)
    let ssm = IPv4Address(232, 1, 1, 1)
    let mac = MACAddress("02:00:00:00:02:11")!

    func sample() -> SavedState {
        SavedState(
            bootID: "7f1c", savedAt: 123456.789012,
            memberships: [
                Membership(interface: "lan0", group: group, host: IPv4Address(10, 0, 0, 11), mac: mac,
                           origin: .igmp(version: 2, expiresAt: 123700.25)),
                Membership(interface: "lan0", group: ssm, host: IPv4Address(10, 0, 0, 12), mac: MACAddress("02:00:00:00:02:12"),
                           filter: .include(v4: [IPv4Address(10, 1, 1, 2), IPv4Address(10, 1, 1, 3)]),
                           origin: .igmp(version: 3, expiresAt: 123650.5)),
            ],
            heldInterfaces: ["lan0"],
            runtimeStatics: [StaticSubscriber(group: group, client: IPv4Address(10, 0, 0, 13), interface: "lan0")])
    }

    @Test func roundTrips() throws {
        let state = sample()
        #expect(try SavedState(json: state.json.serialized) == state)
    }

    @Test func staticEntriesAreNotSavedAsMemberships() {
        var state = sample()
        state.memberships.append(Membership(interface: "lan0", group: group, host: IPv4Address(10, 0, 0, 99), mac: mac))
        #expect(state.json["memberships"]?.arrayValue?.count == 2)
    }

    @Test(arguments: ["", "[]", "{\"format\":2}", "{\"format\":1}",
                      "{\"format\":1,\"boot_id\":\"x\",\"saved_at\":1,\"memberships\":[{\"interface\":\"lan0\"}]}",
                      "{\"format\":1,\"boot_id\":\"x\",\"saved_at\":1,\"runtime_statics\":[\"10.0.0.1,10.0.0.2\"]}"])
    func rejectsMalformedFiles(text: String) {
        #expect(throws: ConfigError.self) { try SavedState(json: text) }
    }

    @Test func restoreBringsBackLiveEntriesOnly() {
        var table = MembershipTable()
        let actions = table.restore(sample().memberships, held: [], now: 123680)
        #expect(actions.count == 1)  // the SSM entry expired at 123650.5
        #expect(table.memberships.map(\.host) == v4(IPv4Address(10, 0, 0, 11)))
        #expect(table.memberships.first?.origin == .igmp(version: 2, expiresAt: 123700.25))
    }

    @Test func restoreKeepsHeldEntriesAndTheirFilters() {
        var table = MembershipTable()
        _ = table.restore(sample().memberships, held: ["lan0"], now: 123680)
        let restored = table.memberships
        #expect(restored.count == 2)
        #expect(restored.first { $0.group == .v4(ssm) }?.filter == .include(v4: [IPv4Address(10, 1, 1, 2), IPv4Address(10, 1, 1, 3)]))
        #expect(restored.allSatisfy { if case .igmp(_, let at) = $0.origin { at >= 123680 + 260 - 1 || at == 123700.25 } else { false } })
    }

    @Test func restoreRespectsLimits() {
        var table = MembershipTable(config: MembershipTableConfig(limits: MembershipLimits(maxEntries: 1)))
        let actions = table.restore(sample().memberships, held: ["lan0"], now: 0)
        #expect(table.memberships.count == 1)
        #expect(actions.contains { if case .refused = $0 { true } else { false } })
    }
}
