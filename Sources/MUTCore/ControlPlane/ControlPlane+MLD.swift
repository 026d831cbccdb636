/// MLD snooping in the control plane: frames of the IPv6 family go to the MLD table.
extension ControlPlane {
    /// True for an Ethernet frame (untagged or behind one 802.1Q tag) whose type is IPv6.
    static func carriesIPv6(_ frame: UnsafeRawBufferPointer) -> Bool {
        func type(at offset: Int) -> UInt16? {
            frame.count >= offset + 2 ? UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]) : nil
        }
        guard let outer = type(at: 12) else { return false }
        if outer == Ethernet.typeVLAN { return type(at: 16) == Ethernet.typeIPv6 }
        return outer == Ethernet.typeIPv6
    }

    /// A snooped MLD frame. As with IGMP, frames this host sent matter only as queries (another
    /// program on the router, such as a proxy or the bridge, may be the link's MLD querier).
    mutating func heardMLD(frame: UnsafeRawBufferPointer, interface: String, direction: FrameDirection, now: Double) {
        let packet: MLDPacket
        do { packet = try MLDPacket.parse(frame: frame) } catch {
            if direction == .incoming { record(mldTable.handle(mldFrame: frame, interface: interface, now: now)) }
            settle(now: now)
            return
        }
        if case .query = packet.message {
            let ownAddress = link(interface)?.linkLocal
            let origin: QuerierOrigin = direction == .outgoing || packet.senderIP == ownAddress ? .thisHost : .otherHost
            record(mldTable.handle(packet.message, interface: interface, hostMAC: packet.senderMAC, hostIP: packet.senderIP,
                                   now: now, querierOrigin: origin))
            stepBackIfOutranked(interface: interface, family: .mld)
        } else if direction == .incoming {
            record(mldTable.handle(packet.message, interface: interface, hostMAC: packet.senderMAC, hostIP: packet.senderIP,
                                   now: now))
        }
        settle(now: now)
    }
}

extension MembershipKey {
    /// "IGMP" or "MLD", for log lines.
    var protocolName: String { group.isIPv6 ? "MLD" : "IGMP" }
}
