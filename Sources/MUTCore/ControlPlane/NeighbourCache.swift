/// A host on one of mutd's interfaces.
public struct NeighbourKey: Hashable, Comparable, Sendable {
    public var interface: String
    public var address: IPAddress

    public init(interface: String, address: IPAddress) {
        self.interface = interface
        self.address = address
    }

    public static func < (lhs: NeighbourKey, rhs: NeighbourKey) -> Bool {
        (lhs.interface, lhs.address) < (rhs.interface, rhs.address)
    }
}

/// Which MAC each host has, as last heard from the kernel's neighbour table or the host's own
/// IGMP frames (whichever spoke last, so a MAC change follows at once from either); which hosts
/// the kernel could not reach; and when to ask the kernel again for members without a MAC.
struct NeighbourCache {
    private(set) var macs: [NeighbourKey: MACAddress] = [:]
    private(set) var failed: Set<NeighbourKey> = []
    private(set) var failures: UInt64 = 0
    /// Members still without a MAC: how often we asked the kernel, and when to ask again.
    private var pending: [NeighbourKey: (attempts: Int, nextAt: Double)] = [:]
    /// Members whose missing MAC was logged (once, until it resolves).
    private var reportedUnresolved: Set<NeighbourKey> = []

    /// At most this many resolution requests per turn: thousands of unresolved subscribers must
    /// not become a burst of netlink requests (and ARP requests on the LAN) every second.
    static let resolutionsPerTurn = 64
    /// Ask every second for the first ten attempts, then every ten seconds.
    static let fastAttempts = 10
    static let fastRetry = 1.0
    static let slowRetry = 10.0

    /// The MAC copies go to: none while the kernel says the host is unreachable.
    func usableMAC(_ key: NeighbourKey) -> MACAddress? {
        failed.contains(key) ? nil : macs[key]
    }

    /// Hosts of `interface` with a usable MAC.
    func reachable(on interface: String) -> [(IPAddress, MACAddress)] {
        macs.compactMap { key, mac in key.interface == interface && !failed.contains(key) ? (key.address, mac) : nil }
    }

    /// A neighbour message from the kernel; returns true when a copy's MAC or reachability
    /// changed. A deleted entry keeps its last MAC: the kernel forgets idle neighbours, the
    /// client may still be watching.
    mutating func kernelSaid(_ key: NeighbourKey, mac: MACAddress?, failed isFailed: Bool,
                             isMember: Bool, log: inout [ControlEffect]) -> Bool {
        if isFailed {
            guard failed.insert(key).inserted else { return false }
            failures &+= 1
            if isMember {
                log.append(.log(.warning, "neighbour \(key.address) failed (unreachable): no more copies to it; its groups pass as plain multicast while it is a member"))
            }
            return true
        }
        guard let mac else { return false }
        var changed = false
        if let old = macs[key], old != mac, isMember {
            log.append(.log(.info, "neighbour \(key.address) changed MAC \(old) -> \(mac): copies follow"))
        }
        if macs.updateValue(mac, forKey: key) != mac { changed = true }
        if failed.remove(key) != nil {
            changed = true
            if isMember { log.append(.log(.info, "neighbour \(key.address) is reachable again at \(mac)")) }
        }
        return changed
    }

    /// The host's Wi-Fi station left the access point: no copies until it is heard again. Not a
    /// neighbour failure (the kernel did not say so); the station events count it.
    mutating func stationLeft(_ key: NeighbourKey) -> Bool {
        failed.insert(key).inserted
    }

    /// The host's own IGMP frame: it is there, at `mac` (nil: a refresh that says nothing new
    /// about the MAC).
    mutating func hostSpoke(_ key: NeighbourKey, mac: MACAddress?) {
        if let mac { macs[key] = mac }
        failed.remove(key)
    }

    /// After a table change: members without a MAC are queued for resolution (logged once),
    /// resolved ones leave the queue.
    mutating func track(_ memberships: [Membership], now: Double, log: inout [ControlEffect]) {
        for member in memberships {
            let key = NeighbourKey(interface: member.interface, address: member.host)
            if let mac = member.mac {
                pending[key] = nil
                if reportedUnresolved.remove(key) != nil {
                    log.append(.log(.info, "client \(member.host) on \(member.interface) is at \(mac)"))
                }
            } else {
                if pending[key] == nil { pending[key] = (0, now) }
                if reportedUnresolved.insert(key).inserted {
                    log.append(.log(.warning, "client \(member.host) on \(member.interface): MAC unknown, resolving; group \(member.group) passes as plain multicast until it is known"))
                }
            }
        }
    }

    /// Forgets pending resolutions of hosts that are no longer members.
    mutating func keepPending(only members: Set<NeighbourKey>) {
        pending = pending.filter { members.contains($0.key) }
        reportedUnresolved = reportedUnresolved.filter { members.contains($0) }
    }

    /// The resolution requests due by `now`, bounded per turn.
    mutating func dueResolutions(now: Double) -> [ControlEffect] {
        let due = pending.filter { $0.value.nextAt <= now }.keys.sorted().prefix(Self.resolutionsPerTurn)
        var effects: [ControlEffect] = []
        for key in due {
            let attempts = pending[key]!.attempts
            pending[key] = (attempts + 1, now + (attempts < Self.fastAttempts ? Self.fastRetry : Self.slowRetry))
            effects.append(.resolveNeighbour(interface: key.interface, address: key.address))
        }
        return effects
    }

    var nextResolutionAt: Double? { pending.values.map(\.nextAt).min() }
}
