/// The IGMP timer values of one link (RFC 3376 section 8). Start from the defaults; adopted from a
/// heard querier's QRV, QQIC and max response time.
public struct IGMPTimerValues: Equatable, Sendable {
    public var robustness: Int
    /// Seconds between general queries.
    public var queryInterval: Double
    /// Max response time of general queries, in seconds.
    public var queryResponseInterval: Double

    /// Max response time of mutd's group-specific (after a leave) and per-host queries, in seconds
    /// (RFC 3376 section 8.8: 1 s by default).
    public var lastMemberQueryInterval: Double

    public init(robustness: Int = 2, queryInterval: Double = 125, queryResponseInterval: Double = 10,
                lastMemberQueryInterval: Double = 1) {
        self.robustness = robustness
        self.queryInterval = queryInterval
        self.queryResponseInterval = queryResponseInterval
        self.lastMemberQueryInterval = lastMemberQueryInterval
    }

    /// RFC 3376 section 8.4: how long a membership lives without a report (260 s by default).
    /// Also the older-host-present interval (section 8.13).
    public var membershipInterval: Double {
        Double(robustness) * queryInterval + queryResponseInterval
    }

    /// RFC 3376 section 8.5: how long a heard querier counts as present (255 s by default).
    public var otherQuerierPresentInterval: Double {
        Double(robustness) * queryInterval + queryResponseInterval / 2
    }
}

/// Bounds on what forged or flooded reports can make the table hold.
public struct MembershipLimits: Equatable, Sendable {
    /// Distinct (interface, group) pairs.
    public var maxGroups: Int
    public var maxHostsPerGroup: Int
    /// (interface, group, host) entries in all.
    public var maxEntries: Int
    /// Sources in one entry's INCLUDE or EXCLUDE list (IPTV needs a handful; a forger could send
    /// thousands through repeated ALLOW/BLOCK records).
    public var maxSourcesPerEntry: Int

    /// Sized for a home router.
    public init(maxGroups: Int = 256, maxHostsPerGroup: Int = 64, maxEntries: Int = 2048, maxSourcesPerEntry: Int = 128) {
        self.maxGroups = maxGroups
        self.maxHostsPerGroup = maxHostsPerGroup
        self.maxEntries = maxEntries
        self.maxSourcesPerEntry = maxSourcesPerEntry
    }
}

public struct MembershipTableConfig: Equatable, Sendable {
    public var limits: MembershipLimits
    /// Timer values used on a link until a querier there says otherwise.
    public var defaultTimers: IGMPTimerValues
    /// When true, memberships on an interface only expire while a querier is present there: hosts
    /// only repeat their reports when queried, so without a querier every entry would expire after
    /// one membership interval under a host still watching. Explicit leaves still apply at once.
    /// When a querier (re)appears, each entry gets a full membership interval to be re-reported.
    /// The daemon reports its own queries (`--querier`) through `handle(.query(...))`.
    public var expireOnlyWithQuerier: Bool

    public init(limits: MembershipLimits = MembershipLimits(), defaultTimers: IGMPTimerValues = IGMPTimerValues(),
                expireOnlyWithQuerier: Bool = true) {
        self.limits = limits
        self.defaultTimers = defaultTimers
        self.expireOnlyWithQuerier = expireOnlyWithQuerier
    }
}

/// Why a new entry was not taken into the table.
public enum RefusalReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    case tooManyGroups
    case tooManyHostsInGroup
    case tooManyEntries
    /// A record would have grown the entry's source list past the limit; the entry kept its state.
    case tooManySources

    /// Fixed label values (metrics, logs).
    public var label: String {
        switch self {
        case .tooManyGroups: return "max_groups"
        case .tooManyHostsInGroup: return "max_hosts_per_group"
        case .tooManyEntries: return "max_entries"
        case .tooManySources: return "max_sources_per_entry"
        }
    }

    public var description: String { label }
}

/// Why a message (or one v3 group record) changed nothing.
public enum DiscardReason: Equatable, Sendable {
    /// 224.0.0.0/24 and link-scope IPv6 groups are never tracked (and never translated).
    case linkLocalGroup(IPAddress)
    /// A report or leave for an address that is not multicast: counted as invalid.
    case notMulticast(IPAddress)
    /// A report or leave from a multicast or broadcast IP, or a group MAC: counted as invalid.
    case invalidSender(IPAddress)
    /// A report from 0.0.0.0 (allowed by RFC 3376 for hosts without an address): no host to track.
    case unspecifiedSender
    /// The frame did not parse.
    case unparsable(ParseError)
}

/// IGMP traffic seen by the table since start: the messages by type (`stats.query` reads
/// `stats.messages.query`), and what the table ignored or refused.
@dynamicMemberLookup
public struct IGMPSnoopingStats: Equatable, Sendable {
    public var messages = IGMPMessageCounts()
    /// Reports or records for 224.0.0.0/24, or from 0.0.0.0: well-formed but not tracked.
    public var ignored: UInt64 = 0
    /// Refused new entries, indexed by `RefusalReason.rawValue`.
    public var refusedByReason: [UInt64] = Array(repeating: 0, count: RefusalReason.allCases.count)

    public init() {}

    public subscript(dynamicMember count: WritableKeyPath<IGMPMessageCounts, UInt64>) -> UInt64 {
        get { messages[keyPath: count] }
        set { messages[keyPath: count] = newValue }
    }

    public func refused(_ reason: RefusalReason) -> UInt64 { refusedByReason[reason.rawValue] }
    public var refusedTotal: UInt64 { refusedByReason.reduce(0, &+) }
}
