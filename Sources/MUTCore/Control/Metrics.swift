/// Prometheus text exposition (format 0.0.4) of the daemon's counters for `mutctl metrics` and
/// the HTTP endpoint. By default labels come from fixed, small sets only (interface, reason,
/// type): per group and per client detail belongs in `mutctl groups`. Per-client series
/// (`metrics-per-client`) are the operator's choice and capped (`maximumClientSeries`).
public enum MetricsExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public typealias Sample = (labels: [(String, String)], value: String)

    /// One family: HELP, TYPE, then its samples.
    static func appendFamily(_ out: inout String, _ name: String, _ type: String, _ help: String, _ samples: [Sample]) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for sample in samples {
            out += name
            if !sample.labels.isEmpty {
                out += "{" + sample.labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " \(sample.value)\n"
        }
    }

    public static func render(status: StatusReport, groups: GroupsReport, perClient: Bool = false) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [Sample]) {
            appendFamily(&out, name, type, help, samples)
        }
        func one(_ name: String, _ type: String, _ help: String, _ value: some BinaryInteger) {
            family(name, type, help, [([], String(value))])
        }

        family("mut_build_info", "gauge", "Version of the running mutd; always 1.", [([("version", status.version)], "1")])
        one("mut_enabled", "gauge", "1 when mutd translates multicast to unicast, 0 in pass-through mode.", status.enabled ? 1 : 0)
        one("mut_uptime_seconds", "gauge", "Seconds since mutd started.", status.uptimeSeconds)
        one("mut_packets_total", "counter", "Multicast packets read from NFQUEUE.", status.packets)
        one("mut_bytes_total", "counter", "Bytes of multicast packets read from NFQUEUE.", status.bytes)
        one("mut_copies_total", "counter", "Unicast copies sent.", status.copies)
        one("mut_dropped_total", "counter", "Original packets dropped because unicast copies replaced them.", status.dropped)
        family("mut_passed_total", "counter", "Original packets accepted unchanged, by reason.",
               status.reasonLabels.map { ([("reason", $0)], String(status.passedByReason[$0] ?? 0)) })
        one("mut_send_errors_total", "counter", "Unicast copies the kernel refused to send.", status.sendErrors)
        one("mut_verdict_errors_total", "counter", "NFQUEUE verdicts that failed.", status.verdictErrors)
        one("mut_queue_drops_total", "counter", "Packets the kernel dropped before mutd read them.", status.queueDrops)
        family("mut_igmp_messages_total", "counter", "IGMP messages snooped, by type.",
               IGMPMessageCounts.labels.map { ([("type", $0)], String(status.igmp[$0])) })
        if let mld = status.mld {
            family("mut_mld_messages_total", "counter", "MLD messages snooped, by type (present once MLD is heard).",
                   StatusReport.mldLabels.map { ([("type", $0.0)], String(mld[$0.1])) })
            one("mut_mld_queries_sent_total", "counter", "MLD general and group-specific queries mutd sent as querier.", status.mldQueriesSent)
            one("mut_mld_per_host_queries_sent_total", "counter", "MLD queries mutd sent to one host's unicast MAC.", status.mldPerHostQueriesSent)
        }
        one("mut_refused_entries_total", "counter", "Memberships refused because the table was full.", status.refusedEntries)
        one("mut_neighbour_failures_total", "counter", "Client neighbour entries that failed; their copies stopped.", status.neighbourFailures)
        one("mut_igmp_queries_sent_total", "counter", "IGMP general and group-specific queries mutd sent as querier.", status.queriesSent)
        one("mut_igmp_per_host_queries_sent_total", "counter", "IGMP queries mutd sent to one host's unicast MAC.", status.perHostQueriesSent)
        one("mut_airtime_switches_total", "counter", "Airtime decisions that moved a (radio, group) between unicast copies and plain multicast.", status.airtimeSwitches)
        one("mut_groups", "gauge", "Current (interface, group) entries.", status.groups)
        one("mut_clients", "gauge", "Current (interface, group, client) subscriptions.", status.clients)

        // Per interface only gauges: a per-interface sum of per-group counters would go down when
        // a group goes away, which a Prometheus counter must never do.
        var groupsBy: [String: Int] = [:]
        var translatingBy: [String: Int] = [:]
        var clientsBy: [String: Int] = [:]
        for name in status.interfaces {
            groupsBy[name] = 0
            translatingBy[name] = 0
            clientsBy[name] = 0
        }
        // A bridge port's entry repeats members of its bridge's entry: counted once, there.
        for g in groups.groups where g.bridgePort == nil {
            groupsBy[g.interface, default: 0] += 1
            translatingBy[g.interface, default: 0] += g.translating ? 1 : 0
            clientsBy[g.interface, default: 0] += g.clients.count
        }
        let names = groupsBy.keys.sorted()
        family("mut_interface_groups", "gauge", "Current groups with subscribers, by LAN interface.",
               names.map { ([("interface", $0)], String(groupsBy[$0] ?? 0)) })
        family("mut_interface_translating_groups", "gauge", "Current groups sent as unicast copies, by LAN interface.",
               names.map { ([("interface", $0)], String(translatingBy[$0] ?? 0)) })
        family("mut_interface_clients", "gauge", "Current subscriptions, by LAN interface.",
               names.map { ([("interface", $0)], String(clientsBy[$0] ?? 0)) })
        if perClient { out += renderClients(groups) }
        return out
    }

    /// Label values escape backslash, double quote and newline (exposition format rules).
    public static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
