/// A bridge port named with `--bridge-port`: what the bridge forwards out of it is queued with the
/// port as its physical output, and its copies are sent out of the port itself.
public struct BridgePort: Hashable, Sendable {
    /// The port; its `mac` is the copies' source address: the address of the served interface
    /// (the bridge) it belongs to, as a routed copy would carry.
    public var port: InterfaceInfo
    /// The served interfaces (`--interface`) whose members may sit behind this port: the bridge
    /// itself, or VLAN devices on it.
    public var servedInterfaces: [String]

    public init(port: InterfaceInfo, servedInterfaces: [String]) {
        self.port = port
        self.servedInterfaces = servedInterfaces
    }
}

/// Where a host sits: the bridge port its IGMP frames came in on, and the VLAN they carried there
/// (nil: untagged). Copies to it go out of that port with that tag, as a multicast original the
/// bridge sends to it there would carry.
public struct PortLocation: Equatable, Sendable {
    public var portIndex: Int32
    public var vlanID: UInt16?
    public var seenAt: Double

    public init(portIndex: Int32, vlanID: UInt16?, seenAt: Double) {
        self.portIndex = portIndex
        self.vlanID = vlanID
        self.seenAt = seenAt
    }
}

/// The hosts heard on bridge ports, by MAC: learned from the IGMP frames each port receives, so
/// that a member of the bridge's group gets copies out of the port it is behind, and only there.
public struct PortLocations: Equatable, Sendable {
    public private(set) var byMAC: [MACAddress: PortLocation] = [:]
    /// A host not heard on any port for this long is forgotten (it left, or moved to a port that
    /// is not watched): longer than an IGMP membership interval, so reports keep it.
    public var lifetime: Double
    /// At most this many hosts are remembered; the oldest goes first.
    public var capacity: Int

    public init(lifetime: Double = 300, capacity: Int = 4096) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The 12-bit VLAN ID of an 802.1Q tag control field; VLAN 0 (a priority tag) is no VLAN.
    public static func vlanID(tagControl: UInt16?) -> UInt16? {
        guard let tagControl, tagControl & 0x0FFF != 0 else { return nil }
        return tagControl & 0x0FFF
    }

    /// Records an IGMP frame from `mac` received on the port; true when the host's port or VLAN
    /// changed (the forwarding table must then be rebuilt).
    public mutating func record(mac: MACAddress, portIndex: Int32, vlanID: UInt16?, now: Double) -> Bool {
        guard mac.isUnicast else { return false }
        let old = byMAC[mac]
        byMAC[mac] = PortLocation(portIndex: portIndex, vlanID: vlanID, seenAt: now)
        if old == nil && byMAC.count > capacity, let oldest = byMAC.min(by: { $0.value.seenAt < $1.value.seenAt })?.key {
            byMAC[oldest] = nil
        }
        return old?.portIndex != portIndex || old?.vlanID != vlanID
    }

    /// Forgets hosts not heard for `lifetime`; true when any was forgotten.
    public mutating func expire(now: Double) -> Bool {
        // Called on every turn of the daemon's loop: usually nothing is due, and nothing is copied.
        guard byMAC.values.contains(where: { now - $0.seenAt >= lifetime }) else { return false }
        byMAC = byMAC.filter { now - $0.value.seenAt < lifetime }
        return true
    }

    public subscript(mac: MACAddress) -> PortLocation? { byMAC[mac] }
}
