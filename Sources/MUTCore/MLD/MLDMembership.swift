/// MLD snooping (RFC 2710 MLDv1, RFC 3810 MLDv2) on the same per-host table as IGMP: MLDv1
/// behaves as IGMPv2 (report, done) and MLDv2 as IGMPv3 (the same six record types and
/// INCLUDE/EXCLUDE source filters), so the table keeps MLD hosts in compatibility versions 2
/// and 3. A daemon keeps one table per family: queriers and timers are per family.
extension MembershipTable {
    /// The table's compatibility version for an MLD version, and back.
    static func compatibilityVersion(mld version: Int) -> Int { version + 1 }

    /// Parses a snooped MLD frame and handles it; a frame that does not parse counts as invalid.
    public mutating func handle(mldFrame frame: UnsafeRawBufferPointer, interface: String, now: Double) -> [MembershipAction] {
        do {
            let packet = try MLDPacket.parse(frame: frame)
            return handle(packet.message, interface: interface, hostMAC: packet.senderMAC, hostIP: packet.senderIP, now: now)
        } catch {
            stats.invalid &+= 1
            return [.discarded(.unparsable(error))]
        }
    }

    /// One MLD message heard from a host (or, for queries, `querierOrigin`) on the link.
    public mutating func handle(
        _ message: MLDMessage, interface: String, hostMAC: MACAddress, hostIP: IPv6Address, now: Double,
        querierOrigin: QuerierOrigin = .otherHost
    ) -> [MembershipAction] {
        let hostIP = IPAddress.v6(hostIP)
        switch message {
        case .query(let query):
            stats.query &+= 1
            return heardQuery(QueryTimers(query), interface: interface, from: hostIP, origin: querierOrigin, now: now)
        case .v1Report(let group):
            stats.v1Report &+= 1
            return olderReport(version: Self.compatibilityVersion(mld: 1), group: .v6(group), interface: interface,
                               hostMAC: hostMAC, hostIP: hostIP, now: now)
        case .v1Done(let group):
            stats.leave &+= 1
            if let discard = discardReason(group: .v6(group), hostMAC: hostMAC, hostIP: hostIP) { return [discard] }
            // Per-host fast leave: the host said it is done, so it is gone at once.
            return update(MembershipKey(interface: interface, group: .v6(group), host: hostIP), hostMAC: hostMAC) { _ in false }
        case .v2Report(let records):
            stats.v2Report &+= 1
            if let discard = discardReason(group: nil, hostMAC: hostMAC, hostIP: hostIP) { return [discard] }
            let deadline = now + timers(interface: interface).membershipInterval
            var actions: [MembershipAction] = []
            for record in records {
                if let discard = discardReason(group: .v6(record.group), hostMAC: hostMAC, hostIP: hostIP) {
                    actions.append(discard)
                    continue
                }
                // The parser keeps record types 1...6 only, the same six as IGMPv3's.
                guard let type = IGMPRecordType(rawValue: record.type) else { continue }
                let key = MembershipKey(interface: interface, group: .v6(record.group), host: hostIP)
                actions += update(key, hostMAC: hostMAC) { state in
                    state.apply(type, sources: record.sources.map(IPAddress.v6), deadline: deadline)
                }
            }
            return actions
        }
    }
}

extension Membership {
    /// The version of the host's protocol: IGMP 1...3 for IPv4, MLD 1...2 for IPv6; nil for a
    /// static entry.
    public var protocolVersion: Int? {
        guard case .igmp(let version, _) = origin else { return nil }
        return group.isIPv6 ? version - 1 : version
    }
}
