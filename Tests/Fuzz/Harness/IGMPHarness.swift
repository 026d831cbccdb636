// The IGMP fuzz harness, shared by the libFuzzer target (Tests/Fuzz/FuzzIGMP.swift, built by
// tools/fuzz.sh as one module with Sources/MUTCore) and the unit tests' smoke runs (compiled into
// MUTCoreTests, see Package.swift). Test code only: nothing of it is in the library.
#if !MUT_FUZZ_SINGLE_MODULE
import MUTCore
#endif

/// Entry point for a libFuzzer target: the input is a sequence of chunks, each preceded by its
/// length (2 bytes, big endian), fed to one small table one simulated second apart, with expiry in
/// between: each chunk as a whole frame, and again as a bare IGMP message with its checksum
/// rewritten to hold (from one of three hosts), so that mutations reach the state machine; the whole input
/// is also parsed as a single frame. Frames that parse (802.1Q-tagged ones too) also place their
/// sender on a bridge port, as bridged mode's port watch does. Must never trap or hang; the
/// preconditions are the table's invariants, so a trap there is a bug the fuzzer found.
public func fuzzIGMP(_ bytes: UnsafeRawBufferPointer) {
    let limits = MembershipLimits(maxGroups: 4, maxHostsPerGroup: 2, maxEntries: 6, maxSourcesPerEntry: 8)
    var table = MembershipTable(config: MembershipTableConfig(limits: limits))
    func checkInvariants() {
        let memberships = table.memberships
        precondition(table.entryCount == memberships.count, "entry count out of step with the table")
        precondition(table.entryCount <= limits.maxEntries && table.groupCount <= limits.maxGroups, "limits not enforced")
        for membership in memberships {
            precondition(membership.group.isMulticast && !membership.group.isLinkLocalMulticast, "bad group tracked")
            switch membership.filter {
            case .include(let sources):
                precondition(!sources.isEmpty && sources.count <= limits.maxSourcesPerEntry, "bad include list")
            case .exclude(let sources):
                precondition(sources.count <= limits.maxSourcesPerEntry, "bad exclude list")
            }
        }
    }
    _ = table.handle(frame: bytes, interface: "fuzz0", now: 0)
    checkInvariants()
    var locations = PortLocations(lifetime: 5, capacity: 3)
    var reader = ByteReader(bytes)
    var now = 1.0
    while let length = try? reader.readUInt16(), let frame = try? reader.readBytes(min(Int(length), reader.remaining)) {
        // Every third frame on a second interface, so that per-interface state is exercised too.
        _ = table.handle(frame: frame, interface: now.truncatingRemainder(dividingBy: 3) == 0 ? "fuzz1" : "fuzz0", now: now)
        if let message = withChecksumFixed(frame, { try? IGMPPacket.parseIGMP($0) }) {
            let host = UInt8(truncatingIfNeeded: Int(now) % 3 + 2)
            _ = table.handle(message, interface: "fuzz0", hostMAC: MACAddress(UInt64(0x0200_0000_0000) | UInt64(host)),
                             hostIP: IPv4Address(10, 0, 0, host), now: now)
        }
        if let packet = try? IGMPPacket.parse(frame: frame) {
            let tagControl = frame.count >= 2 ? UInt16(frame[frame.count - 2]) << 8 | UInt16(frame[frame.count - 1]) : nil
            let vlan = PortLocations.vlanID(tagControl: tagControl) ?? packet.ethernet.vlanID
            _ = locations.record(mac: packet.senderMAC, portIndex: Int32(now.truncatingRemainder(dividingBy: 2)), vlanID: vlan, now: now)
            precondition(vlan.map { $0 <= 0x0FFF } ?? true, "VLAN ID wider than 12 bits")
        }
        _ = locations.expire(now: now)
        precondition(locations.byMAC.count <= locations.capacity, "port locations unbounded")
        precondition(locations.byMAC.values.allSatisfy { now - $0.seenAt < locations.lifetime }, "stale port location kept")
        precondition(locations.byMAC.keys.allSatisfy(\.isUnicast), "group address placed on a port")
        _ = table.expire(now: now)
        checkInvariants()
        now += 1
    }
    if let deadline = table.nextDeadline() { _ = table.expire(now: deadline) }
    _ = table.expire(now: now + 10_000)
    checkInvariants()
}

/// Calls `body` with `bytes` as an IGMP message whose checksum holds, so that the parser looks
/// past it.
private func withChecksumFixed<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    var message = Array(bytes)
    if message.count >= 4 {
        message[2] = 0
        message[3] = 0
        let sum = message.withUnsafeBytes { internetChecksum($0) }
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xFF)
    }
    return message.withUnsafeBytes(body)
}
