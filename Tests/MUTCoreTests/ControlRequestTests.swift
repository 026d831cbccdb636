import Testing
@testable import MUTCore

@Suite struct ControlRequestTests {
    /// Feeds `text` one byte at a time and returns every intermediate result.
    func feedBytewise(_ text: String, limit: Int = ControlRequestDecoder.defaultMaximumLength) -> [ControlDecodeResult] {
        var decoder = ControlRequestDecoder(maximumLength: limit)
        return text.utf8.map { decoder.feed([$0]) }
    }

    @Test(arguments: [
        ("status\n", ControlRequest.status),
        ("groups\n", .groups),
        ("metrics\r\n", .metrics),
        ("enable\n", .enable),
        ("  disable \t\n", .disable),
        ("add 239.1.2.3 192.168.1.10\n", .add(StaticSubscriber(group: IPv4Address(239, 1, 2, 3), client: IPv4Address(192, 168, 1, 10)))),
        ("del 239.1.2.3 192.168.1.10 wlan0\n",
         .del(StaticSubscriber(group: IPv4Address(239, 1, 2, 3), client: IPv4Address(192, 168, 1, 10), interface: "wlan0"))),
    ])
    func decodesOneByteAtATime(_ text: String, _ expected: ControlRequest) {
        let results = feedBytewise(text)
        #expect(results.dropLast().allSatisfy { $0 == .needMore })
        #expect(results.last == .request(expected))
    }

    @Test func wholeChunkEqualsBytewise() {
        var decoder = ControlRequestDecoder()
        #expect(decoder.feed(Array("add 239.1.2.3 10.0.0.7 eth0\n".utf8)) == feedBytewise("add 239.1.2.3 10.0.0.7 eth0\n").last)
    }

    @Test func wireFormRoundTrips() {
        let requests: [ControlRequest] = [
            .status, .groups, .metrics, .enable, .disable,
            .add(StaticSubscriber(group: IPv4Address(239, 0, 0, 1), client: IPv4Address(10, 0, 0, 2), interface: "br-lan")),
            .del(StaticSubscriber(group: IPv4Address(232, 1, 1, 1), client: IPv4Address(10, 0, 0, 3))),
        ]
        for request in requests {
            var decoder = ControlRequestDecoder()
            #expect(decoder.feed(request.wireBytes) == .request(request))
        }
    }

    func errorMessage(_ text: String) -> String? {
        var decoder = ControlRequestDecoder()
        if case .error(let e) = decoder.feed(Array(text.utf8)) { return e.message }
        return nil
    }

    @Test func badArgumentsNameTheBadInput() {
        #expect(errorMessage("add 10.1.2.3 192.168.1.10\n")?.contains("'10.1.2.3' is not an IPv4 multicast group") == true)
        #expect(errorMessage("add 239.1.2.3 239.1.2.4\n")?.contains("'239.1.2.4' is not a unicast IPv4 address") == true)
        #expect(errorMessage("del 239.1.2.3 10.0.0.1 no/slash\n")?.contains("'no/slash' is not a valid interface name") == true)
        #expect(errorMessage("add 224.0.0.22 10.0.0.1\n")?.contains("link-local") == true)
        #expect(errorMessage("add 239.1.2.3\n") == "add expects GROUP CLIENT_IP [IFACE], got 1 argument")
        #expect(errorMessage("add 239.1.2.3 10.0.0.1 eth0 extra\n") == "add expects GROUP CLIENT_IP [IFACE], got 4 arguments")
        #expect(errorMessage("status now\n") == "status takes no arguments, got 'now'")
        #expect(errorMessage("reboot\n")?.hasPrefix("unknown command 'reboot'") == true)
        #expect(errorMessage("\n") == "empty request")
        #expect(errorMessage("STATUS\n")?.hasPrefix("unknown command 'STATUS'") == true)
    }

    @Test func garbageIsRejectedNamingTheByte() {
        var decoder = ControlRequestDecoder()
        let garbage: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xA5, 0x0A]  // a TLS hello, say
        #expect(decoder.feed(garbage) == .error(ControlRequestError(
            "request contains byte 0x16 at offset 0; only printable ASCII is allowed")))
        #expect(errorMessage("sta\u{0}tus\n")?.contains("byte 0x00 at offset 3") == true)
        #expect(errorMessage("st\u{e9}tus\n")?.contains("byte 0xc3 at offset 2") == true)
    }

    @Test func oversizedRequestStopsAtTheLimit() {
        var decoder = ControlRequestDecoder(maximumLength: 16)
        // 15 bytes and a newline fit exactly.
        #expect(decoder.feed(Array("status         \n".utf8)) == .request(.status))

        var tooLong = ControlRequestDecoder(maximumLength: 16)
        #expect(tooLong.feed(Array("status          ".utf8)) == .error(ControlRequestError("request longer than 16 bytes")))

        // Byte by byte, the answer changes exactly when the limit is crossed, and stays.
        let results = feedBytewise(String(repeating: "a", count: 40), limit: 16)
        #expect(results.prefix(15).allSatisfy { $0 == .needMore })
        #expect(results[15] == .error(ControlRequestError("request longer than 16 bytes")))
        #expect(results.last == results[15])
    }

    @Test func halfSentRequestIsAnErrorAtEndOfStream() {
        var decoder = ControlRequestDecoder()
        #expect(decoder.feed(Array("stat".utf8)) == .needMore)
        #expect(decoder.finish() == .error(ControlRequestError("request ended without a newline after 4 bytes")))
        var silent = ControlRequestDecoder()
        #expect(silent.finish() == .error(ControlRequestError("connection closed before a request was sent")))
        var complete = ControlRequestDecoder()
        #expect(complete.feed(Array("groups\n".utf8)) == .request(.groups))
        #expect(complete.finish() == .request(.groups))
    }

    @Test func secondRequestOnAConnectionIsAnError() {
        var decoder = ControlRequestDecoder()
        #expect(decoder.feed(Array("status\ngroups\n".utf8)) == .error(ControlRequestError("more than one request on a connection")))
        var later = ControlRequestDecoder()
        #expect(later.feed(Array("status\n".utf8)) == .request(.status))
        #expect(later.feed(Array("g".utf8)) == .error(ControlRequestError("more than one request on a connection")))
        #expect(later.feed([]) == .error(ControlRequestError("more than one request on a connection")))
    }

    @Test func onlyStateChangingCommandsNeedPrivilege() {
        let policy = ControlAccessPolicy(groupID: 120, groupName: "mut")
        let stranger = PeerCredentials(pid: 42, uid: 1000, gid: 1000)
        let add = ControlRequest.add(StaticSubscriber(group: IPv4Address(239, 1, 1, 1), client: IPv4Address(10, 0, 0, 1)))
        #expect(policy.refusal(.status, peer: stranger) == nil)
        #expect(policy.refusal(.metrics, peer: stranger) == nil)
        #expect(policy.refusal(add, peer: stranger)
            == "permission denied: 'add' changes mutd's state and needs root or membership of group 'mut' (peer uid 1000)")
        #expect(policy.refusal(.disable, peer: stranger) != nil)
        #expect(policy.needsSupplementaryGroups(.disable, peer: stranger))
        #expect(policy.refusal(.disable, peer: PeerCredentials(pid: 42, uid: 0, gid: 0)) == nil)
        #expect(policy.refusal(.disable, peer: PeerCredentials(pid: 42, uid: 1000, gid: 120)) == nil)
        #expect(policy.refusal(.disable, peer: PeerCredentials(pid: 42, uid: 1000, gid: 1000, supplementaryGroups: [24, 120])) == nil)
    }

    @Test func readsSupplementaryGroupsFromProcStatus() {
        let status = "Name:\tmutctl\nUmask:\t0022\nGid:\t1000\t1000\t1000\t1000\nGroups:\t24 27 120 \nNStgid:\t7\n"
        #expect(PeerCredentials.supplementaryGroups(procStatus: Array(status.utf8)) == [24, 27, 120])
        #expect(PeerCredentials.supplementaryGroups(procStatus: Array("Groups:\t\n".utf8)) == [])
        #expect(PeerCredentials.supplementaryGroups(procStatus: Array("Name:\tx\n".utf8)) == [])
    }
}
