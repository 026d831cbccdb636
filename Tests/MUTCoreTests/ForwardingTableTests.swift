import Testing
@testable import MUTCore

@Suite struct ForwardingTableTests {
    let lan = InterfaceInfo(name: "lan0", index: 7, mac: MACAddress("02:aa:00:00:00:01")!)
    let group = IPv4Address(239, 1, 1, 1)
    let source = IPv4Address(10, 10, 1, 2)
    let hostA = IPv4Address(10, 10, 2, 11)
    let hostB = IPv4Address(10, 10, 2, 12)
    let macA = MACAddress("02:00:00:00:02:11")!
    let macB = MACAddress("02:00:00:00:02:12")!

    func packet(to destination: IPv4Address, from source: IPv4Address? = nil) -> IPv4Summary {
        IPv4Summary(source: source ?? self.source, destination: destination, totalLength: 100)
    }

    func table(_ memberships: [Membership], enabled: Bool = true, maxClients: Int? = nil, previous: ForwardingTable? = nil) -> ForwardingTable {
        ForwardingTable.build(enabled: enabled, maxClients: maxClients, interfaces: [lan], memberships: memberships, previous: previous)
    }

    @Test func translatesWhenEveryMemberHasAMAC() {
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA),
                       Membership(interface: "lan0", group: group, host: hostB, mac: macB)])
        let (verdict, route) = t.decide(interfaceIndex: 7, packet: packet(to: group))
        #expect(verdict == .translate)
        #expect(route?.members.map(\.host) == v4(hostA, hostB))
    }

    @Test func passesWhenOneMemberMACIsUnknown() {
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA),
                       Membership(interface: "lan0", group: group, host: hostB, mac: nil)])
        #expect(t.decide(interfaceIndex: 7, packet: packet(to: group)).0 == .pass(.unknownMAC))
    }

    @Test func passesWithoutMembersOnThatInterfaceOrGroup() {
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA)])
        #expect(t.decide(interfaceIndex: 8, packet: packet(to: group)).0 == .pass(.noMembers))
        #expect(t.decide(interfaceIndex: 7, packet: packet(to: IPv4Address(239, 9, 9, 9))).0 == .pass(.noMembers))
    }

    @Test func passesEverythingWhenDisabled() {
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA)], enabled: false)
        #expect(t.decide(interfaceIndex: 7, packet: packet(to: group)).0 == .pass(.disabled))
        #expect(t.decide(interfaceIndex: 7, packet: packet(to: IPv4Address(239, 9, 9, 9))).0 == .pass(.disabled))
    }

    @Test func passesAboveMaxClientsAndTranslatesAtIt() {
        let two = [Membership(interface: "lan0", group: group, host: hostA, mac: macA),
                   Membership(interface: "lan0", group: group, host: hostB, mac: macB)]
        #expect(table(two, maxClients: 1).decide(interfaceIndex: 7, packet: packet(to: group)).0 == .pass(.overLimit))
        #expect(table(two, maxClients: 2).decide(interfaceIndex: 7, packet: packet(to: group)).0 == .translate)
    }

    @Test func unknownMACOfAMemberThatRefusesTheSourceDoesNotBlockTranslation() {
        let other = IPv4Address(10, 10, 1, 99)
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA, filter: .include(v4: [source]), origin: .igmp(version: 3, expiresAt: 100)),
                       Membership(interface: "lan0", group: group, host: hostB, mac: nil, filter: .include(v4: [other]), origin: .igmp(version: 3, expiresAt: 100))])
        #expect(t.decide(interfaceIndex: 7, packet: packet(to: group, from: source)).0 == .translate)
        #expect(t.decide(interfaceIndex: 7, packet: packet(to: group, from: other)).0 == .pass(.unknownMAC))
    }

    @Test func headersCarryMemberMACThenInterfaceMACThenIPv4Type() {
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA)])
        let route = t.routes[RouteKey(interfaceIndex: 7, group: group)]!
        let header = UnsafeRawBufferPointer(start: route.header(at: 0), count: Ethernet.headerLength)
        #expect(Array(header) == [0x02, 0, 0, 0, 0x02, 0x11, 0x02, 0xaa, 0, 0, 0, 0x01, 0x08, 0x00])
    }

    @Test func staticAndLearnedEntriesForOneHostMergeIntoOneMember() {
        let t = table([Membership(interface: "lan0", group: group, host: hostA, mac: nil),
                       Membership(interface: "lan0", group: group, host: hostA, mac: macA, filter: .include(v4: [source]), origin: .igmp(version: 3, expiresAt: 10))])
        let route = t.routes[RouteKey(interfaceIndex: 7, group: group)]!
        #expect(route.members.count == 1)
        #expect(route.members[0].mac == macA)
        #expect(route.members[0].filter == .anySource)
    }

    @Test func oneHostUnderTwoAddressesGetsOneCopy() {
        // An IPv6 host: its static entry names its global address, its MLD reports come from
        // its link-local one; both at the same MAC.
        let group6 = IPAddress.v6(IPv6Address("ff3e::8000:1")!)
        let global = IPAddress.v6(IPv6Address("2001:db8:2::11")!)
        let linkLocal = IPAddress.v6(IPv6Address("fe80::ff:fe00:211")!)
        let source6 = IPAddress.v6(IPv6Address("2001:db8:1::2")!)
        let t = table([Membership(interface: "lan0", group: group6, host: global, mac: macA),
                       Membership(interface: "lan0", group: group6, host: linkLocal, mac: macA, filter: .include([source6]),
                                  origin: .igmp(version: 2, expiresAt: 10)),
                       Membership(interface: "lan0", group: group6, host: .v6(IPv6Address("2001:db8:2::12")!), mac: macB,
                                  filter: .include([source6]), origin: .igmp(version: 2, expiresAt: 10))])
        let route = t.routes[RouteKey(interfaceIndex: 7, group: group6)]!
        #expect(route.members.map(\.host) == [global, .v6(IPv6Address("2001:db8:2::12")!)])
        #expect(route.members.map(\.mac) == [macA, macB])
        #expect(route.members[0].filter == .anySource, "the static entry admits every source")
    }

    @Test func countersCarryOverToTheNextSnapshot() {
        let first = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA)])
        let route = first.routes[RouteKey(interfaceIndex: 7, group: group)]!
        route.counters.packets.wrappingAdd(5, ordering: .relaxed)
        route.members[0].counters.copies.wrappingAdd(3, ordering: .relaxed)
        let second = table([Membership(interface: "lan0", group: group, host: hostA, mac: macA),
                            Membership(interface: "lan0", group: group, host: hostB, mac: macB)], previous: first)
        let next = second.routes[RouteKey(interfaceIndex: 7, group: group)]!
        #expect(next.counters.packets.load(ordering: .relaxed) == 5)
        #expect(next.members.first { $0.host == .v4(hostA) }?.counters.copies.load(ordering: .relaxed) == 3)
        #expect(next.members.first { $0.host == .v4(hostB) }?.counters.copies.load(ordering: .relaxed) == 0)
    }

    @Test func ignoresMembershipsOnInterfacesNotServed() {
        let t = table([Membership(interface: "wan0", group: group, host: hostA, mac: macA)])
        #expect(t.routes.isEmpty)
    }
}

@Suite struct IPv4SummaryTests {
    // The first 28 bytes of a UDP packet 10.10.1.2 -> 239.1.1.1 as queued after forwarding (TTL 15).
    let header: [UInt8] = [0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x0f, 0x11, 0x00, 0x00,
                           10, 10, 1, 2, 239, 1, 1, 1, 0x13, 0x88, 0x13, 0x88, 0x00, 0x08, 0x00, 0x00]

    @Test func readsAddressesAndLength() {
        header.withUnsafeBytes { bytes in
            #expect(IPv4Summary.parse(bytes) == IPv4Summary(source: IPv4Address(10, 10, 1, 2), destination: IPv4Address(239, 1, 1, 1), totalLength: 28))
        }
    }

    @Test func rejectsEveryTruncation() {
        for length in 0..<20 {
            Array(header.prefix(length)).withUnsafeBytes { #expect(IPv4Summary.parse($0) == nil) }
        }
    }

    @Test func rejectsLyingLengthsAndOtherVersions() {
        var bad = header
        bad[3] = 0x40  // total length 64 > 28 bytes present
        bad.withUnsafeBytes { #expect(IPv4Summary.parse($0) == nil) }
        bad = header
        bad[0] = 0x44  // IHL 16 bytes < 20
        bad.withUnsafeBytes { #expect(IPv4Summary.parse($0) == nil) }
        bad = header
        bad[0] = 0x65
        bad.withUnsafeBytes { #expect(IPv4Summary.parse($0) == nil) }
    }
}
