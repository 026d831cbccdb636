/// Entry point for a libFuzzer target: the input is a sequence of frames, each preceded by its
/// length (2 bytes, big endian), fed to one small table one simulated second apart, with expiry in
/// between; the whole input is also parsed as a single frame. Must never trap or hang.
public func fuzzIGMP(_ bytes: UnsafeRawBufferPointer) {
    var table = MembershipTable(config: MembershipTableConfig(
        limits: MembershipLimits(maxGroups: 4, maxHostsPerGroup: 2, maxEntries: 6)))
    _ = table.handle(frame: bytes, interface: "fuzz0", now: 0)
    var reader = ByteReader(bytes)
    var now = 1.0
    while let length = try? reader.readUInt16(), let frame = try? reader.readBytes(min(Int(length), reader.remaining)) {
        _ = table.handle(frame: frame, interface: now.truncatingRemainder(dividingBy: 3) == 0 ? "fuzz1" : "fuzz0", now: now)
        _ = table.expire(now: now)
        now += 1
    }
    _ = table.memberships
    if let deadline = table.nextDeadline() { _ = table.expire(now: deadline) }
    _ = table.expire(now: now + 10_000)
    precondition(table.entryCount == table.memberships.count, "entry count out of step with the table")
}
