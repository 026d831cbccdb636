/// One interface's IGMP querier as `mutctl status` shows it: who queries (another host,
/// another program on this router, mutd, or nobody heard) and the timer values in force there.
public struct QuerierStatus: Equatable, Sendable {
    public var interface: String
    /// nil: no querier heard within the other-querier-present interval.
    public var address: IPAddress?
    public var version: Int?
    /// "other host", "this host" or "mutd" (mutd runs on this host too).
    public var origin: String?
    public var robustness: Int
    public var queryInterval: Double
    public var queryResponseInterval: Double
    public var membershipInterval: Double

    public init(interface: String, record: QuerierRecord?, timers: IGMPTimerValues) {
        self.interface = interface
        address = record?.address
        version = record?.version
        origin = record?.origin.rawValue
        robustness = timers.robustness
        queryInterval = timers.queryInterval
        queryResponseInterval = timers.queryResponseInterval
        membershipInterval = timers.membershipInterval
    }

    public var isThisHost: Bool { origin == QuerierOrigin.thisHost.rawValue || origin == QuerierOrigin.mutd.rawValue }

    public var json: JSONValue {
        .object([
            ("interface", .string(interface)),
            ("address", address.map { .string($0.description) } ?? .null),
            ("version", version.map { .int(Int64($0)) } ?? .null),
            ("origin", origin.map { .string($0) } ?? .null),
            ("this_host", .bool(isThisHost)),
            ("robustness", .int(Int64(robustness))),
            ("query_interval_s", .double(queryInterval)),
            ("query_response_interval_s", .double(queryResponseInterval)),
            ("membership_interval_s", .double(membershipInterval)),
        ])
    }

    init(json: JSONValue) throws(ReportDecodingError) {
        let r = ReportReader(json, context: "querier")
        interface = try r.string("interface")
        if let text = try r.optionalString("address") {
            guard let parsed = IPAddress(text) else { throw ReportDecodingError("querier: \"address\" is not an IP address") }
            address = parsed
        }
        version = try r.optionalInt("version")
        origin = try r.optionalString("origin")
        robustness = try r.int("robustness")
        queryInterval = try r.double("query_interval_s")
        queryResponseInterval = try r.double("query_response_interval_s")
        membershipInterval = try r.double("membership_interval_s")
    }

    /// "10.0.0.1 (IGMPv2, this host), robustness 2, query interval 125 s, max response 10 s, membership 260 s"
    public var line: String {
        let who = address.map { "\($0) (\($0.isIPv6 ? "MLD" : "IGMP")v\(version ?? 0), \(origin ?? "?"))" } ?? "none heard"
        return "\(who), robustness \(robustness), query interval \(queryInterval.plainDescription) s, max response \(queryResponseInterval.plainDescription) s, membership \(membershipInterval.plainDescription) s"
    }
}

extension ControlPlane {
    /// The querier of every served interface, for `mutctl status`.
    public func querierStatus(now: Double) -> [QuerierStatus] {
        interfaces.map { link in
            let record = table.querier(interface: link.name).flatMap { $0.presentUntil > now ? $0 : nil }
            return QuerierStatus(interface: link.name, record: record, timers: table.timers(interface: link.name))
        }
    }

    /// The control plane's part of `mutctl status`.
    public func fill(_ report: inout StatusReport, now: Double) {
        let stats = table.stats
        report.igmp = IGMPMessageCounts(stats)
        report.refusedEntries = stats.refusedTotal
        report.neighbourFailures = neighbours.failures
        report.queriesSent = queriesSent
        report.perHostQueriesSent = perHostQueriesSent
        report.clients = Set(memberships.map { NeighbourKey(interface: $0.interface, address: $0.host) }).count
        report.queriers = querierStatus(now: now)
        fillMLD(&report, now: now)
        report.stationEvents = stationEvents
        report.stationsLeft = stationsLeft
        report.airtimeSwitches = airtime.switches
    }
}
