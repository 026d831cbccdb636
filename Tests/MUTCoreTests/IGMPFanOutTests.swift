import Testing
@testable import MUTCore

private func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

/// From snooped IGMP to the data plane's decision: the table's memberships feed
/// `ForwardingTable.build`, and the route says which members get a copy of which source.
@Suite struct IGMPFanOutTests {
    let lan = InterfaceInfo(name: "lan0", index: 3, mac: IGMPFrameBuilder.routerMAC)
    let group = ip("232.1.1.1")
    let s1 = ip("10.0.0.1")
    let s2 = ip("10.0.0.2")
    let hostA = ip("10.99.0.2"), macA = MACAddress("02:00:00:00:00:0a")!
    let hostB = ip("10.99.0.3"), macB = MACAddress("02:00:00:00:00:0b")!
    let hostC = ip("10.99.0.4"), macC = MACAddress("02:00:00:00:00:0c")!

    func report(_ table: inout MembershipTable, _ type: IGMPRecordType, _ sources: [IPv4Address],
                host: IPv4Address, mac: MACAddress, at now: Double) {
        _ = table.handle(.v3Report(IGMPv3Report(records: [IGMPGroupRecord(type: type, group: group, sources: sources)])),
                         interface: "lan0", hostMAC: mac, hostIP: host, now: now)
    }

    func route(_ table: MembershipTable, maxClients: Int? = nil) -> GroupRoute? {
        ForwardingTable.build(enabled: true, maxClients: maxClients, interfaces: [lan], memberships: table.memberships,
                              previous: nil).routes[RouteKey(interfaceIndex: lan.index, group: group)]
    }

    func receivers(_ route: GroupRoute?, of source: IPv4Address) -> [IPv4Address] {
        route?.members.filter { $0.filter.admits(.v4(source)) }.compactMap(\.host.v4) ?? []
    }

    /// A v3 host including S1, a v2 host (every source) and a v3 host excluding S1.
    func mixedTable() -> MembershipTable {
        var table = MembershipTable()
        report(&table, .allowNewSources, [s1], host: hostA, mac: macA, at: 0)
        _ = table.handle(.v2Report(group: group), interface: "lan0", hostMAC: macB, hostIP: hostB, now: 0)
        report(&table, .changeToExclude, [s1], host: hostC, mac: macC, at: 0)
        return table
    }

    @Test func mixedVersionsAndSourceFilters() {
        let table = mixedTable()
        let route = route(table)
        #expect(route?.members.map(\.host) == v4(hostA, hostB, hostC))
        #expect(route?.members.map(\.mac) == [macA, macB, macC])
        #expect(route?.verdict(source: s1) == .translate)
        #expect(route?.verdict(source: s2) == .translate)
        #expect(receivers(route, of: s1) == [hostA, hostB])
        #expect(receivers(route, of: s2) == [hostB, hostC])

        let forwarding = ForwardingTable.build(enabled: true, maxClients: nil, interfaces: [lan],
                                               memberships: table.memberships, previous: nil)
        let packet = IPv4Summary(source: s2, destination: group, totalLength: 100)
        #expect(forwarding.decide(interfaceIndex: lan.index, packet: packet).0 == .translate)
        #expect(forwarding.decide(interfaceIndex: 9, packet: packet).0 == .pass(.noMembers))
    }

    @Test func filterChangesAndLeavesReachTheRoute() {
        var table = mixedTable()
        // C unblocks S1: now everyone wants S1.
        report(&table, .allowNewSources, [s1], host: hostC, mac: macC, at: 1)
        #expect(receivers(route(table), of: s1) == [hostA, hostB, hostC])
        // A blocks its only source: A is gone; S2 still reaches B and C.
        report(&table, .blockOldSources, [s1], host: hostA, mac: macA, at: 2)
        #expect(route(table)?.members.map(\.host) == v4(hostB, hostC))
        // B leaves (v2): only C is left, and it takes every source.
        _ = table.handle(.v2Leave(group: group), interface: "lan0", hostMAC: macB, hostIP: hostB, now: 3)
        #expect(receivers(route(table), of: s2) == [hostC])
        // C leaves (v3 TO_IN{}): no route at all, the original passes as plain multicast.
        report(&table, .changeToInclude, [], host: hostC, mac: macC, at: 4)
        #expect(route(table) == nil)
    }

    @Test func overMaxClientsPassesTheOriginal() {
        let table = mixedTable()
        #expect(route(table, maxClients: 2)?.verdict(source: s1) == .pass(.overLimit))
        #expect(route(table, maxClients: 3)?.verdict(source: s1) == .translate)
    }

    @Test func expiredMembersDropOutOfTheRoute() {
        var table = MembershipTable(config: MembershipTableConfig(expireOnlyWithQuerier: false))
        report(&table, .allowNewSources, [s1], host: hostA, mac: macA, at: 0)
        _ = table.handle(.v2Report(group: group), interface: "lan0", hostMAC: macB, hostIP: hostB, now: 100)
        #expect(table.expire(now: 260).contains(.expired(MembershipKey(interface: "lan0", group: group, host: hostA))))
        #expect(route(table)?.members.map(\.host) == v4(hostB))
        #expect(receivers(route(table), of: s1) == [hostB])
    }
}
