/// One host's membership of one group on one interface: RFC 3376 section 6 router state, kept per
/// host instead of per group. Because the table follows each host on its own, what the host reports
/// is its whole state: IS_IN/TO_IN/IS_EX/TO_EX replace it, ALLOW/BLOCK edit it, and a host that
/// reports wanting nothing is gone at once (no last-member query is needed).
struct HostMembershipState: Equatable, Sendable {
    /// The IGMPv3 filter and its timers.
    enum SourceState: Equatable, Sendable {
        /// INCLUDE mode: each wanted source with its own source timer deadline.
        case include([IPAddress: Double])
        /// EXCLUDE mode: the unwanted sources and the group timer deadline.
        case exclude(Set<IPAddress>, groupTimer: Double)
    }

    var mac: MACAddress
    /// Older host present timers (RFC 3376 section 7.3.2): while one runs the host is in IGMPv1
    /// or IGMPv2 compatibility mode and wants every source.
    var v1HostPresentUntil: Double?
    var v2HostPresentUntil: Double?
    var sourceState: SourceState?

    init(mac: MACAddress) { self.mac = mac }

    var isEmpty: Bool { v1HostPresentUntil == nil && v2HostPresentUntil == nil && sourceState == nil }

    /// Length of the INCLUDE or EXCLUDE source list.
    var sourceCount: Int {
        switch sourceState {
        case .include(let timers): return timers.count
        case .exclude(let excluded, _): return excluded.count
        case nil: return 0
        }
    }

    var compatibilityVersion: Int {
        if v1HostPresentUntil != nil { return 1 }
        if v2HostPresentUntil != nil { return 2 }
        return 3
    }

    var filter: SourceFilter {
        guard compatibilityVersion == 3, let sourceState else { return .anySource }
        switch sourceState {
        case .include(let timers): return .include(timers.keys.sorted())
        case .exclude(let excluded, _): return .exclude(excluded.sorted())
        }
    }

    private var deadlines: [Double] {
        var all: [Double] = []
        if let v1HostPresentUntil { all.append(v1HostPresentUntil) }
        if let v2HostPresentUntil { all.append(v2HostPresentUntil) }
        switch sourceState {
        case .include(let timers): all.append(contentsOf: timers.values)
        case .exclude(_, let groupTimer): all.append(groupTimer)
        case nil: break
        }
        return all
    }

    /// When the next timer runs out.
    var earliestDeadline: Double? { deadlines.min() }
    /// When the whole membership runs out if nothing more is heard.
    var expiresAt: Double { deadlines.max() ?? 0 }

    /// Lets every timer that runs out at or before `horizon` expire (RFC 3376 section 6.5 per host:
    /// a source timer drops its source; the group timer in EXCLUDE mode ends the filter, since this
    /// host asked for no source explicitly).
    mutating func expire(upTo horizon: Double) {
        if let until = v1HostPresentUntil, until <= horizon { v1HostPresentUntil = nil }
        if let until = v2HostPresentUntil, until <= horizon { v2HostPresentUntil = nil }
        switch sourceState {
        case .include(let timers):
            let alive = timers.filter { $0.value > horizon }
            sourceState = alive.isEmpty ? nil : .include(alive)
        case .exclude(_, let groupTimer):
            if groupTimer <= horizon { sourceState = nil }
        case nil:
            break
        }
    }

    /// Moves every running timer to at least `deadline` (a querier appeared: give the host a full
    /// membership interval to answer).
    mutating func extendTimers(toAtLeast deadline: Double) {
        if let until = v1HostPresentUntil { v1HostPresentUntil = max(until, deadline) }
        if let until = v2HostPresentUntil { v2HostPresentUntil = max(until, deadline) }
        switch sourceState {
        case .include(let timers): sourceState = .include(timers.mapValues { max($0, deadline) })
        case .exclude(let excluded, let groupTimer): sourceState = .exclude(excluded, groupTimer: max(groupTimer, deadline))
        case nil: break
        }
    }

    /// An IGMPv1 or v2 report: the host is an older-version host wanting every source.
    mutating func olderReport(version: Int, deadline: Double) {
        if version == 1 { v1HostPresentUntil = deadline } else { v2HostPresentUntil = deadline }
        // Its v3 filter, if any, is superseded: the host now asks for all sources.
        sourceState = nil
    }

    /// Applies one IGMPv3 group record. Returns false when the host now wants nothing and must be
    /// removed at once (IS_IN{}/TO_IN{}, or BLOCK of its last included source).
    mutating func apply(_ type: IGMPRecordType, sources: [IPAddress], deadline: Double) -> Bool {
        let compatibility = compatibilityVersion
        switch type {
        case .modeIsInclude, .changeToInclude:
            // RFC 3376 section 7.3.2: in IGMPv1 mode TO_IN is ignored (IS_IN with it: a v1 host has no
            // way to say "include").
            if compatibility == 1 { return true }
            if sources.isEmpty { return false }
            sourceState = .include(Dictionary(sources.map { ($0, deadline) }, uniquingKeysWith: { first, _ in first }))
        case .modeIsExclude, .changeToExclude:
            // In IGMPv1/v2 mode the source list of an exclude record is ignored: TO_EX(x) is TO_EX({}).
            let excluded = compatibility == 3 ? Set(sources) : []
            sourceState = .exclude(excluded, groupTimer: deadline)
        case .allowNewSources:
            guard !sources.isEmpty else { return true }
            switch sourceState {
            case .include(var timers):
                for source in sources { timers[source] = deadline }
                sourceState = .include(timers)
            case .exclude(let excluded, let groupTimer):
                sourceState = .exclude(excluded.subtracting(sources), groupTimer: groupTimer)
            case nil:
                sourceState = .include(Dictionary(sources.map { ($0, deadline) }, uniquingKeysWith: { first, _ in first }))
            }
        case .blockOldSources:
            // Ignored in IGMPv1/v2 compatibility mode (RFC 3376 section 7.3.2).
            if compatibility != 3 { return true }
            switch sourceState {
            case .include(var timers):
                for source in sources { timers[source] = nil }
                if timers.isEmpty {
                    sourceState = nil
                    return !isEmpty
                }
                sourceState = .include(timers)
            case .exclude(let excluded, let groupTimer):
                sourceState = .exclude(excluded.union(sources), groupTimer: groupTimer)
            case nil:
                break
            }
        }
        return true
    }
}

extension HostMembershipState {
    /// The state a saved membership describes: its version's host-present timer, or its IGMPv3
    /// filter with every timer at `until`.
    mutating func restore(version: Int, filter: SourceFilter, until: Double) {
        switch version {
        case 1: v1HostPresentUntil = until
        case 2: v2HostPresentUntil = until
        default:
            switch filter {
            case .include(let sources): sourceState = .include(Dictionary(sources.map { ($0, until) }, uniquingKeysWith: max))
            case .exclude(let sources): sourceState = .exclude(Set(sources), groupTimer: until)
            }
        }
    }
}
