/// Identifies one host's membership of one group on one interface.
public struct MembershipKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var interface: String
    public var group: IPAddress
    public var host: IPAddress

    public init(interface: String, group: IPAddress, host: IPAddress) {
        self.interface = interface
        self.group = group
        self.host = host
    }

    public init(interface: String, group: IPv4Address, host: IPv4Address) {
        self.init(interface: interface, group: .v4(group), host: .v4(host))
    }

    public static func < (lhs: MembershipKey, rhs: MembershipKey) -> Bool {
        (lhs.interface, lhs.group, lhs.host) < (rhs.interface, rhs.group, rhs.host)
    }

    public var description: String { "\(group) \(host) on \(interface)" }
}

extension Membership {
    public var key: MembershipKey { MembershipKey(interface: interface, group: group, host: host) }
}
