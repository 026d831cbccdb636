/// The MLD part of `mutctl status`: present only once MLD was heard, so that an IPv4-only
/// router's report reads exactly as before.
extension StatusReport {
    /// The keys of `status --json`'s `mld` object: MLD's own names for the counts.
    public static let mldLabels = [("query", "query"), ("v1_report", "v1_report"), ("v2_report", "v2_report"),
                                   ("done", "leave"), ("invalid", "invalid")]

    var mldMembers: [(String, JSONValue)] {
        guard let mld else { return [] }
        return [
            ("mld", .object(Self.mldLabels.map { ($0.0, .uint(mld[$0.1])) })),
            ("mld_queriers", .array(mldQueriers.map(\.json))),
            ("mld_queries_sent", .uint(mldQueriesSent)),
            ("mld_per_host_queries_sent", .uint(mldPerHostQueriesSent)),
        ]
    }

    mutating func readMLD(_ r: ReportReader) throws(ReportDecodingError) {
        guard r.has("mld") else { return }
        var counts = IGMPMessageCounts()
        let read = try r.counts("mld")
        for (label, field) in Self.mldLabels { counts[field] = read[label] ?? 0 }
        mld = counts
        mldQueriesSent = try r.uint64("mld_queries_sent", default: 0)
        mldPerHostQueriesSent = try r.uint64("mld_per_host_queries_sent", default: 0)
        if r.has("mld_queriers") {
            for item in try r.array("mld_queriers") { mldQueriers.append(try QuerierStatus(json: item)) }
        }
    }

    var mldRows: [[String]] {
        guard let mld else { return [] }
        let counts = Self.mldLabels.map { "\($0.0) \(mld[$0.1])" }.joined(separator: ", ")
        let sent = mldQueriesSent + mldPerHostQueriesSent > 0
            ? [["mld queries sent", "\(mldQueriesSent) general/group, \(mldPerHostQueriesSent) per-host"]] : []
        return [["mld", counts]] + mldQueriers.map { ["mld querier \($0.interface)", $0.line] } + sent
    }
}

extension ControlPlane {
    /// The MLD part of `mutctl status`.
    func fillMLD(_ report: inout StatusReport, now: Double) {
        let stats = mldTable.stats
        guard stats.messages != IGMPMessageCounts() else { return }
        report.mld = stats.messages
        report.mldQueriesSent = mldQueriesSent
        report.mldPerHostQueriesSent = mldPerHostQueriesSent
        report.mldQueriers = interfaces.compactMap { link in
            guard let record = mldTable.querier(interface: link.name), record.presentUntil > now else { return nil }
            return QuerierStatus(interface: link.name, record: record, timers: mldTable.timers(interface: link.name))
        }
    }
}
