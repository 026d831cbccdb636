/// Identifies one host's membership of one group on one interface.
public struct MembershipKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var interface: String
    public var group: IPv4Address
    public var host: IPv4Address

    public init(interface: String, group: IPv4Address, host: IPv4Address) {
        self.interface = interface
        self.group = group
        self.host = host
    }

    public static func < (lhs: MembershipKey, rhs: MembershipKey) -> Bool {
        (lhs.interface, lhs.group, lhs.host) < (rhs.interface, rhs.group, rhs.host)
    }

    public var description: String { "\(group) \(host) on \(interface)" }
}

extension Membership {
    public var key: MembershipKey { MembershipKey(interface: interface, group: group, host: host) }
}
