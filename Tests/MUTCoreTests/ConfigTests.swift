import Testing
@testable import MUTCore

@Suite struct ConfigTests {
    @Test func parsesStaticSubscriber() throws {
        #expect(try StaticSubscriber(parsing: "239.1.1.1,10.0.0.5") == StaticSubscriber(group: IPv4Address(239, 1, 1, 1), client: IPv4Address(10, 0, 0, 5)))
        #expect(try StaticSubscriber(parsing: "239.1.1.1,10.0.0.5,wlan0").interface == "wlan0")
    }

    @Test(arguments: [
        ("239.1.1.1", "expected GROUP,CLIENT_IP[,IFACE]"),
        ("239.1.1.1,10.0.0.5,wlan0,x", "expected GROUP,CLIENT_IP[,IFACE]"),
        ("10.1.1.1,10.0.0.5", "'10.1.1.1' is not an IPv4 multicast group"),
        ("224.0.0.251,10.0.0.5", "link-local"),
        ("239.1.1.1,239.0.0.5", "'239.0.0.5' is not a unicast IPv4 address"),
        ("239.1.1.1,10.0.0", "'10.0.0' is not a unicast IPv4 address"),
        ("239.1.1.1,10.0.0.5,bad/name", "'bad/name' is not a valid interface name"),
    ])
    func rejectsBadStaticSubscriber(text: String, message: String) {
        #expect {
            try StaticSubscriber(parsing: text)
        } throws: { error in
            (error as? ConfigError)?.description.contains(message) == true
        }
    }

    @Test func parsesQueues() throws {
        #expect(try DaemonConfig.parseQueues("0") == [0])
        #expect(try DaemonConfig.parseQueues("2-4") == [2, 3, 4])
        for bad in ["", "-1", "4-2", "a", "1-2-3", "70000", "0-64"] {
            #expect(throws: ConfigError.self) { try DaemonConfig.parseQueues(bad) }
        }
    }

    @Test func staticSubscriberTakesTheOnlyInterface() throws {
        let config = try DaemonConfig(interfaces: ["lan0"], staticSubscribers: [StaticSubscriber(group: IPv4Address(239, 1, 1, 1), client: IPv4Address(10, 0, 0, 5))]).validated()
        #expect(config.staticSubscribers[0].interface == "lan0")
    }

    @Test func staticSubscriberMustNameOneOfSeveralInterfaces() {
        let entry = StaticSubscriber(group: IPv4Address(239, 1, 1, 1), client: IPv4Address(10, 0, 0, 5))
        #expect(throws: ConfigError.invalid("static subscriber '239.1.1.1,10.0.0.5': mutd serves several interfaces (lan0, wlan0): name one")) {
            try DaemonConfig(interfaces: ["lan0", "wlan0"], staticSubscribers: [entry]).validated()
        }
        var named = entry
        named.interface = "eth9"
        #expect(throws: ConfigError.self) { try DaemonConfig(interfaces: ["lan0"], staticSubscribers: [named]).validated() }
    }

    @Test func rejectsEmptyOrDuplicateInterfacesAndZeroMaxClients() {
        #expect(throws: ConfigError.self) { try DaemonConfig(interfaces: []).validated() }
        #expect(throws: ConfigError.self) { try DaemonConfig(interfaces: ["lan0", "lan0"]).validated() }
        #expect(throws: ConfigError.self) { try DaemonConfig(interfaces: ["lan0"], maxClients: 0).validated() }
    }
}

@Suite struct NeighbourMessageTests {
    /// An RTM_NEWNEIGH for 10.10.2.11 at 02:00:00:00:02:11 on ifindex 3, REACHABLE (0x02), laid
    /// out as the kernel sends it (host byte order, x86-64): nlmsghdr, ndmsg, NDA_DST, NDA_LLADDR.
    func message(state: UInt16 = 2, type: UInt16 = 28, lladdr: Bool = true) -> [UInt8] {
        var body: [UInt8] = [2, 0, 0, 0, 3, 0, 0, 0, UInt8(state & 0xFF), UInt8(state >> 8), 0, 1]
        body += [8, 0, 1, 0, 10, 10, 2, 11]
        if lladdr { body += [10, 0, 2, 0, 2, 0, 0, 0, 2, 0x11, 0, 0] }
        let length = UInt32(16 + body.count)
        var bytes: [UInt8] = withUnsafeBytes(of: length) { Array($0) }
        bytes += withUnsafeBytes(of: type) { Array($0) } + [0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]
        return bytes + body
    }

    @Test func parsesAReachableNeighbour() {
        message().withUnsafeBytes { bytes in
            let messages = Netlink.messages(in: bytes)
            #expect(messages.count == 1)
            #expect(NeighbourEvent.parse(messages[0]) == NeighbourEvent(kind: .update, interfaceIndex: 3, address: IPv4Address(10, 10, 2, 11), mac: MACAddress("02:00:00:00:02:11"), state: 2))
        }
    }

    @Test func failedNeighbourHasNoMACAndSaysSo() {
        message(state: 0x20, lladdr: false).withUnsafeBytes { bytes in
            let event = NeighbourEvent.parse(Netlink.messages(in: bytes)[0])
            #expect(event?.isFailed == true)
            #expect(event?.mac == nil)
        }
    }

    @Test func truncatedAndLyingMessagesYieldNothing() {
        let full = message()
        for cut in 0..<full.count {
            Array(full.prefix(cut)).withUnsafeBytes { bytes in
                for m in Netlink.messages(in: bytes) { _ = NeighbourEvent.parse(m) }
            }
        }
        var lying = full
        lying[0] = 0xFF  // length beyond the datagram
        lying.withUnsafeBytes { #expect(Netlink.messages(in: $0).isEmpty) }
        message(type: 24).withUnsafeBytes { #expect(NeighbourEvent.parse(Netlink.messages(in: $0)[0]) == nil) }
    }
}

@Suite struct QueueStatisticsTests {
    @Test func parsesTheProcFile() {
        // Read from /proc/net/netfilter/nfnetlink_queue with mutd bound to queue 0 (kernel 6.18).
        let text = "    0  18957     3 2 65531     7     2      200  1\n    5  20001     0 2 65531     0     0        0  1\n"
        #expect(QueueStatistics.parse(text) == [
            QueueStatistics(queue: 0, portID: 18957, waiting: 3, queueDropped: 7, userDropped: 2),
            QueueStatistics(queue: 5, portID: 20001, waiting: 0, queueDropped: 0, userDropped: 0),
        ])
        #expect(QueueStatistics.parse(text)[0].drops == 9)
    }

    @Test func skipsGarbage() {
        #expect(QueueStatistics.parse("").isEmpty)
        #expect(QueueStatistics.parse("queue port\n1 2 3\nx y z a b c d e f\n").isEmpty)
    }
}
