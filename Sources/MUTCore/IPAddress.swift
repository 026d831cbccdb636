/// An address of either family: what memberships, source filters, routes and reports hold, so
/// that IGMP (IPv4) and MLD (IPv6) share one table, one forwarding snapshot and one report format.
/// IPv4 sorts before IPv6; within a family, by value. Its text is the family's own text form, so
/// an IPv4 address reads exactly as `IPv4Address` does.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Dotted-quad or RFC 4291 text; nil for anything else.
    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if text.contains(":"), let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var v4: IPv4Address? {
        if case .v4(let address) = self { return address }
        return nil
    }

    public var v6: IPv6Address? {
        if case .v6(let address) = self { return address }
        return nil
    }

    public var isIPv6: Bool { v6 != nil }

    public var isMulticast: Bool {
        switch self {
        case .v4(let a): return a.isMulticast
        case .v6(let a): return a.isMulticast
        }
    }

    /// Link-scope multicast, never translated: 224.0.0.0/24, or ff0x::/16 with scope 2 or less.
    public var isLinkLocalMulticast: Bool {
        switch self {
        case .v4(let a): return a.isLinkLocalMulticast
        case .v6(let a): return a.isLinkScopeMulticast
        }
    }

    /// The all-zero address of either family.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): return a.value == 0
        case .v6(let a): return a == .unspecified
        }
    }

    /// Neither a unicast host nor usable as one: multicast, or IPv4's limited broadcast.
    public var isInvalidHost: Bool {
        switch self {
        case .v4(let a): return a.isMulticast || a.value == .max
        case .v6(let a): return a.isMulticast
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }
}
