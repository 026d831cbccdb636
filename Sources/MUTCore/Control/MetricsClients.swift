/// Per-client series (`metrics-per-client = yes`): one series per (interface, group, client) for
/// each family, labelled interface, group, client (IPv4) and mac. Cardinality is bounded: at
/// most `maximumClientSeries` clients are exposed, in (interface, group, client) order, and
/// `mut_client_series_omitted` says how many were left out.
extension MetricsExposition {
    /// At most this many (interface, group, client) triples get series (7 families each at most).
    public static let maximumClientSeries = 512

    /// One client's figures, merged over a bridge's entry and its ports' entries (which repeat
    /// the bridge's members): copies through either path count for the client.
    struct ClientFigures {
        var interface: String
        var group: String
        var client: String
        var mac: String
        var copies: UInt64 = 0
        var sendErrors: UInt64 = 0
        var radio: StationRadio?
    }

    static func clientFigures(_ groups: GroupsReport) -> (shown: [ClientFigures], omitted: Int) {
        struct Key: Hashable { var interface: String; var group: IPAddress; var client: IPAddress }
        var order: [Key] = []
        var figures: [Key: ClientFigures] = [:]
        for g in groups.groups {
            for c in g.clients {
                let key = Key(interface: g.interface, group: g.group, client: c.ip)
                if figures[key] == nil {
                    order.append(key)
                    figures[key] = ClientFigures(interface: g.interface, group: g.group.description, client: c.ip.description,
                                                 mac: c.mac?.description ?? "unknown")
                }
                figures[key]!.copies &+= c.copies
                figures[key]!.sendErrors &+= c.sendErrors
                if let mac = c.mac, figures[key]!.mac == "unknown" { figures[key]!.mac = mac.description }
                if figures[key]!.radio == nil { figures[key]!.radio = c.radio }
            }
        }
        order.sort { ($0.interface, $0.group, $0.client) < ($1.interface, $1.group, $1.client) }
        let shown = order.prefix(maximumClientSeries).map { figures[$0]! }
        return (shown, order.count - shown.count)
    }

    static func renderClients(_ groups: GroupsReport) -> String {
        let (clients, omitted) = clientFigures(groups)
        var out = ""
        appendFamily(&out, "mut_client_series_limit", "gauge",
                     "Most (interface, group, client) triples exposed as per-client series.", [([], String(maximumClientSeries))])
        appendFamily(&out, "mut_client_series_omitted", "gauge",
                     "Current clients left out of the per-client series by the limit.", [([], String(omitted))])
        func labels(_ c: ClientFigures) -> [(String, String)] {
            [("interface", c.interface), ("group", c.group), ("client", c.client), ("mac", c.mac)]
        }
        // A family whose samples would all be absent is left out (a family without samples is invalid).
        func family(_ name: String, _ type: String, _ help: String, _ value: (ClientFigures) -> String?) {
            let samples: [Sample] = clients.compactMap { c in value(c).map { (labels(c), $0) } }
            if !samples.isEmpty { appendFamily(&out, name, type, help, samples) }
        }
        family("mut_client_copies_total", "counter", "Unicast copies sent to the client for the group.") { String($0.copies) }
        family("mut_client_send_errors_total", "counter", "Copies to the client the kernel refused to send.") { String($0.sendErrors) }
        family("mut_client_tx_bitrate_bits_per_second", "gauge",
               "Rate of the access point's last unicast frame to the Wi-Fi client (nl80211).") {
            $0.radio?.txBitrateKbps.map { String(UInt64($0) * 1000) }
        }
        family("mut_client_tx_retries_total", "counter",
               "Frames to the Wi-Fi client the access point retried (driver counter since association).") {
            $0.radio?.txRetries.map { String($0) }
        }
        family("mut_client_tx_failed_total", "counter",
               "Frames to the Wi-Fi client the access point gave up on (driver counter since association).") {
            $0.radio?.txFailed.map { String($0) }
        }
        family("mut_client_signal_dbm", "gauge", "Signal strength of the Wi-Fi client's last frame, in dBm.") {
            $0.radio?.signalDBm.map { String($0) }
        }
        family("mut_client_inactive_seconds", "gauge", "Seconds since the Wi-Fi client last sent or received a frame.") {
            $0.radio?.inactiveMilliseconds.map { Double($0) / 1000 }.map { $0.plainDescription }
        }
        return out
    }
}
