/// Bridged mode: IGMP frames received on a named bridge port tell which hosts sit behind it,
/// and with which VLAN tag, so that copies for them leave that port (tagged as the original
/// would be there) and only there.
extension ControlPlane {
    /// A frame the port's listener received; `tagControl` is the 802.1Q tag the kernel took out
    /// of it (a tag still in the frame is read by the parser).
    public mutating func heardOnBridgePort(frame: UnsafeRawBufferPointer, portIndex: Int32, tagControl: UInt16?, now: Double) {
        guard let packet = try? IGMPPacket.parse(frame: frame),
              let port = bridgePorts.first(where: { $0.port.index == portIndex }) else { return }
        let vlan = PortLocations.vlanID(tagControl: tagControl) ?? packet.ethernet.vlanID.flatMap { $0 == 0 ? nil : $0 }
        if portLocations.record(mac: packet.senderMAC, portIndex: portIndex, vlanID: vlan, now: now) {
            tableIsStale = true
            effects.append(.log(.info, "bridge port \(port.port.name): \(packet.senderIP) (\(packet.senderMAC)) is behind it\(vlan.map { ", VLAN \($0)" } ?? ", untagged")"))
        }
        settle(now: now)
    }

    /// Hosts not heard on any port for a while are forgotten (they left, or moved to a port that
    /// is not watched).
    mutating func expirePortLocations(now: Double) {
        if portLocations.expire(now: now) { tableIsStale = true }
    }
}
