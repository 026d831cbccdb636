// libFuzzer target: the MLD parser (Ethernet, optional VLAN tag, IPv6, extension headers with
// the Router Alert option, ICMPv6 checksum, MLDv1/v2 messages). Whatever the bytes claim, the
// parser returns a value or an error; what it returns stays within what the input could hold,
// and the MLD snooping table keeps its bounds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // Copy into an exact-size allocation so AddressSanitizer sees any read past the frame.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
    defer { buffer.deallocate() }
    if size > 0, let data { buffer.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    let frame = UnsafeRawBufferPointer(rebasing: buffer[0..<size])
    guard let packet = try? MLDPacket.parse(frame: frame) else { return 0 }
    precondition(packet.senderIP.isLinkLocal || packet.senderIP == .unspecified, "MLD from a routable source accepted")
    switch packet.message {
    case .v2Report(let records):
        let addresses = records.reduce(0) { $0 + 1 + $1.sources.count }
        precondition(addresses * 16 <= size, "more addresses than the frame holds")
    case .query(let query):
        precondition(query.sources.count * 16 <= size, "more sources than the frame holds")
    case .v1Report, .v1Done:
        break
    }
    // Whatever parsed, the snooping table takes it within its bounds: IPv6 groups beyond link
    // scope only, no more entries or sources than allowed.
    let limits = MembershipLimits(maxGroups: 2, maxHostsPerGroup: 2, maxEntries: 3, maxSourcesPerEntry: 4)
    var table = MembershipTable(config: MembershipTableConfig(limits: limits))
    _ = table.handle(packet.message, interface: "fuzz0", hostMAC: packet.senderMAC, hostIP: packet.senderIP, now: 0)
    precondition(table.entryCount <= limits.maxEntries && table.entryCount == table.memberships.count, "MLD entries out of bounds")
    for membership in table.memberships {
        precondition(membership.group.isIPv6 && membership.group.isMulticast && !membership.group.isLinkLocalMulticast,
                     "bad MLD group tracked")
        precondition(membership.filter.sources.count <= limits.maxSourcesPerEntry, "MLD source list over the limit")
    }
    return 0
}
