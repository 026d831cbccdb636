/// One subscriber of a group on an interface, as `mutctl groups` shows it.
public struct ClientReport: Equatable, Sendable {
    public var ip: IPAddress
    /// nil while the client's MAC is unknown (then the group cannot be translated).
    public var mac: MACAddress?
    /// "igmp", "mld" or "static"; a host with both a static entry and IGMP or MLD state shows "static".
    public var via: String
    /// Present for hosts with IGMP or MLD state: the version of the protocol of `ip`'s family
    /// (JSON: `igmp_version` for IPv4, `mld_version` for IPv6).
    public var igmpVersion: Int?
    public var expiresInSeconds: Int?
    /// nil for "every source"; otherwise the IGMPv3 filter.
    public var filter: SourceFilter?
    public var copies: UInt64
    public var sendErrors: UInt64
    /// The station's radio link, for a Wi-Fi client the access point reports on.
    public var radio: StationRadio?
    /// How old `radio` was when the report was made, in seconds.
    public var radioAgeSeconds: Double?

    public init(ip: IPAddress, mac: MACAddress?, via: String, igmpVersion: Int? = nil, expiresInSeconds: Int? = nil,
                filter: SourceFilter? = nil, copies: UInt64 = 0, sendErrors: UInt64 = 0, radio: StationRadio? = nil) {
        self.ip = ip
        self.mac = mac
        self.via = via
        self.igmpVersion = igmpVersion
        self.expiresInSeconds = expiresInSeconds
        self.filter = filter
        self.copies = copies
        self.sendErrors = sendErrors
        self.radio = radio
    }
}

/// One (interface, group) row of `mutctl groups`.
public struct GroupReport: Equatable, Sendable {
    /// How the daemon treats the group's packets right now.
    public enum Mode: String, Sendable, CaseIterable {
        case translating
        case untranslatable
        case overMaxClients = "over_max_clients"
        /// The airtime decision passes the original: copies would cost more air than it.
        case multicastCheaper = "multicast_cheaper"
        case disabled
    }

    public var interface: String
    /// For what a bridge forwards out of one of its ports (`--bridge-port`): that port. The
    /// entry's `interface` is then the served interface its members were learned on.
    public var bridgePort: String?
    public var group: IPAddress
    /// Sources seen sending to the group (the daemon keeps the last one, IPv4 only).
    public var sources: [IPAddress]
    public var packets: UInt64
    public var bytes: UInt64
    public var copies: UInt64
    public var passed: UInt64
    /// A mode string a newer daemon may extend; `Mode(rawValue:)` reads the known ones.
    public var mode: String
    public var clients: [ClientReport]
    /// The airtime decision per radio its Wi-Fi members are on; empty without radio samples.
    public var airtime: [AirtimeReport] = []

    public var translating: Bool { mode == Mode.translating.rawValue }

    public init(interface: String, group: IPAddress, sources: [IPAddress] = [], packets: UInt64 = 0, bytes: UInt64 = 0,
                copies: UInt64 = 0, passed: UInt64 = 0, mode: Mode, clients: [ClientReport]) {
        self.interface = interface
        self.group = group
        self.sources = sources
        self.packets = packets
        self.bytes = bytes
        self.copies = copies
        self.passed = passed
        self.mode = mode.rawValue
        self.clients = clients
    }
}

/// What `mutctl groups` shows: `{"groups":[...]}`, one entry per (interface, group).
public struct GroupsReport: Equatable, Sendable {
    public var groups: [GroupReport]
    /// Memberships that ended lately, and why, newest first (`"ended"`, present when any).
    public var ended: [EndedMembership] = []

    public init(groups: [GroupReport]) {
        self.groups = groups.sorted {
            ($0.interface, $0.group, $0.bridgePort ?? "") < ($1.interface, $1.group, $1.bridgePort ?? "")
        }
    }

    /// Builds the report from the snapshot the data plane uses (counters, merged members, mode)
    /// and the control plane's memberships (how each member was learned, when it expires).
    /// `now` is on the same monotonic clock as `MembershipOrigin.igmp(expiresAt:)`.
    public init(table: ForwardingTable, memberships: [Membership], radios: [MACAddress: StationRadio] = [:],
                airtime: [AirtimeKey: AirtimeState] = [:], radioNames: [Int32: String] = [:], now: Double) {
        var origins: [MembershipKey: [Membership]] = [:]
        for m in memberships { origins[m.key, default: []].append(m) }
        var reports: [GroupReport] = []
        for route in table.routes.values {
            let clients = route.members.map { member -> ClientReport in
                let entries = origins[MembershipKey(interface: route.bridge ?? route.interface.name, group: route.group, host: member.host)] ?? []
                let isStatic = entries.contains { $0.origin == .staticEntry }
                var version: Int?
                var expiresAt: Double?
                for entry in entries {
                    guard case .igmp(_, let at) = entry.origin else { continue }
                    version = entry.protocolVersion
                    expiresAt = max(expiresAt ?? at, at)
                }
                let expiresIn = expiresAt.map { at -> Int in
                    let remaining = (at - now).rounded(.up)
                    return remaining.isFinite ? Int(max(0, min(remaining, Double(Int32.max)))) : 0
                }
                var client = ClientReport(
                    ip: member.host, mac: member.mac, via: isStatic || version == nil ? "static" : member.host.isIPv6 ? "mld" : "igmp",
                    igmpVersion: version, expiresInSeconds: expiresIn,
                    filter: member.filter == .anySource ? nil : member.filter,
                    copies: member.counters.copies.load(ordering: .relaxed),
                    sendErrors: member.counters.sendErrors.load(ordering: .relaxed),
                    radio: member.mac.flatMap { radios[$0] })
                client.radioAgeSeconds = client.radio.map { max(0, now - $0.sampledAt) }
                return client
            }
            let mode: GroupReport.Mode
            if !table.enabled {
                mode = .disabled
            } else if route.overLimit {
                mode = .overMaxClients
            } else if route.multicastCheaper {
                mode = .multicastCheaper
            } else if route.members.contains(where: { $0.mac == nil }) {
                mode = .untranslatable
            } else {
                mode = .translating
            }
            var report = GroupReport(
                interface: route.bridge ?? route.interface.name, group: route.group,
                sources: route.counters.lastSource.load().map { [$0] } ?? [],
                packets: route.counters.packets.load(ordering: .relaxed),
                bytes: route.counters.bytes.load(ordering: .relaxed),
                copies: route.counters.copies.load(ordering: .relaxed),
                passed: route.counters.passed.load(ordering: .relaxed),
                mode: mode, clients: clients)
            if route.bridge != nil { report.bridgePort = route.interface.name }
            report.airtime = Self.airtimeReports(for: route, radios: radios, airtime: airtime, radioNames: radioNames, now: now)
            reports.append(report)
        }
        self.init(groups: reports)
    }

    public var clientCount: Int { groups.reduce(0) { $0 + $1.clients.count } }

    // MARK: JSON

    public var json: JSONValue {
        .object([("groups", .array(groups.map(\.json)))] + (ended.isEmpty ? [] : [("ended", .array(ended.map(\.json)))]))
    }

    public init(json: JSONValue) throws(ReportDecodingError) {
        let r = ReportReader(json, context: "groups")
        var groups: [GroupReport] = []
        for (i, item) in try r.array("groups").enumerated() {
            groups.append(try GroupReport(json: item, context: "groups[\(i)]"))
        }
        self.init(groups: groups)
        if r.has("ended") {
            for (i, item) in try r.array("ended").enumerated() {
                ended.append(try EndedMembership(json: item, context: "ended[\(i)]"))
            }
        }
    }

    // MARK: Text

    /// The human form of `mutctl groups`: one line per (interface, group) in the manner of
    /// /proc/net/ip_mr_cache, each followed by its clients, indented.
    public var table: String {
        (groups.isEmpty ? "no groups\n" : groupsTable) + (ended.isEmpty ? "" : EndedMembership.table(ended))
    }

    private var groupsTable: String {
        let groupRows = [["INTERFACE", "GROUP", "SOURCE", "MODE", "PACKETS", "BYTES", "COPIES", "PASSED", "CLIENTS"]]
            + groups.map { g in
                [g.bridgePort.map { "\(g.interface)/\($0)" } ?? g.interface, g.group.description, g.sources.isEmpty ? "-" : g.sources.map(\.description).joined(separator: ","),
                 g.mode, String(g.packets), String(g.bytes), String(g.copies), String(g.passed), String(g.clients.count)]
            }
        let groupLines = TextTable(columns: [.left, .left, .left, .left, .right, .right, .right, .right, .right], rows: groupRows).lines
        // One client table for all groups, so that client columns line up across groups too.
        // The radio columns (Wi-Fi clients' links, `-` for wired ones) only where some client has one.
        let withRadio = groups.contains { $0.clients.contains { $0.radio != nil } }
        let radioHeaders = withRadio ? StationRadio.tableHeaders : []
        var clientRows = [["CLIENT", "MAC", "VIA", "IGMP", "EXPIRES", "COPIES", "SEND_ERRORS"] + radioHeaders + ["FILTER"]]
        for g in groups {
            for c in g.clients {
                var row: [String] = [
                    c.ip.description, c.mac?.description ?? "unknown", c.via,
                    c.igmpVersion.map { (c.ip.isIPv6 ? "mldv" : "v") + String($0) } ?? "-", c.expiresInSeconds.map { "\($0)s" } ?? "-",
                    String(c.copies), String(c.sendErrors),
                ]
                if withRadio { row += StationRadio.tableCells(c.radio) }
                row.append(c.filter?.description ?? "any source")
                clientRows.append(row)
            }
        }
        let columns: [TextTable.Alignment] = [.left, .left, .left, .left, .right, .right, .right]
            + radioHeaders.map { _ in .right } + [.left]
        let clientLines = TextTable(columns: columns, rows: clientRows).lines(indent: "    ")
        var out = groupLines[0] + "\n"
        var nextClient = 1
        for (i, g) in groups.enumerated() {
            out += groupLines[i + 1] + "\n"
            for a in g.airtime { out += "    " + a.line + "\n" }
            if !g.clients.isEmpty { out += clientLines[0] + "\n" }
            for _ in g.clients {
                out += clientLines[nextClient] + "\n"
                nextClient += 1
            }
        }
        return out
    }
}

extension GroupReport {
    public var json: JSONValue {
        var head: [(String, JSONValue)] = [("group", .string(group.description)), ("interface", .string(interface))]
        if let bridgePort { head.append(("bridge_port", .string(bridgePort))) }
        return .object(head + [
            ("sources", .array(sources.map { .string($0.description) })),
            ("packets", .uint(packets)),
            ("bytes", .uint(bytes)),
            ("copies", .uint(copies)),
            ("passed", .uint(passed)),
            ("translating", .bool(translating)),
            ("mode", .string(mode)),
            ("clients", .array(clients.map(\.json))),
        ] + (airtime.isEmpty ? [] : [("airtime", .array(airtime.map(\.json)))]))
    }

    init(json: JSONValue, context: String) throws(ReportDecodingError) {
        let r = ReportReader(json, context: context)
        interface = try r.string("interface")
        bridgePort = try r.optionalString("bridge_port")
        group = try Self.address(r, "group", context)
        var sources: [IPAddress] = []
        if r.has("sources") {
            for text in try r.strings("sources") {
                guard let a = IPAddress(text) else { throw ReportDecodingError("\(context): \"sources\" holds '\(text)', not an IP address") }
                sources.append(a)
            }
        }
        self.sources = sources
        packets = try r.uint64("packets")
        bytes = try r.uint64("bytes")
        copies = try r.uint64("copies")
        passed = try r.uint64("passed", default: 0)
        if let m = try r.optionalString("mode") {
            mode = m
        } else {
            mode = (try? r.bool("translating")) == true ? Mode.translating.rawValue : Mode.untranslatable.rawValue
        }
        var clients: [ClientReport] = []
        for (i, item) in try r.array("clients").enumerated() {
            clients.append(try ClientReport(json: item, context: "\(context).clients[\(i)]"))
        }
        self.clients = clients
        var airtime: [AirtimeReport] = []
        if r.has("airtime") {
            for (i, item) in try r.array("airtime").enumerated() {
                airtime.append(try AirtimeReport(json: item, context: "\(context).airtime[\(i)]"))
            }
        }
        self.airtime = airtime
    }

    static func address(_ r: ReportReader, _ key: String, _ context: String) throws(ReportDecodingError) -> IPAddress {
        let text = try r.string(key)
        guard let a = IPAddress(text) else { throw ReportDecodingError("\(context): \"\(key)\" is '\(text)', not an IP address") }
        return a
    }
}

extension ClientReport {
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("ip", .string(ip.description)),
            ("mac", mac.map { .string($0.description) } ?? .null),
            ("via", .string(via)),
        ]
        if let igmpVersion { members.append((ip.isIPv6 ? "mld_version" : "igmp_version", .int(Int64(igmpVersion)))) }
        if let expiresInSeconds { members.append(("expires_in_s", .int(Int64(expiresInSeconds)))) }
        if let filter { members.append(("filter", .object(filter.jsonMembers))) }
        members.append(("copies", .uint(copies)))
        members.append(("send_errors", .uint(sendErrors)))
        if let radio { members.append(("radio", radio.json(ageSeconds: radioAgeSeconds))) }
        return .object(members)
    }

    init(json: JSONValue, context: String) throws(ReportDecodingError) {
        let r = ReportReader(json, context: context)
        ip = try GroupReport.address(r, "ip", context)
        if let text = try r.optionalString("mac") {
            guard let m = MACAddress(text) else { throw ReportDecodingError("\(context): \"mac\" is '\(text)', not a MAC address") }
            mac = m
        } else {
            mac = nil
        }
        via = try r.string("via")
        igmpVersion = try r.optionalInt(ip.isIPv6 ? "mld_version" : "igmp_version")
        expiresInSeconds = try r.optionalInt("expires_in_s")
        if r.has("filter"), let f = json["filter"] {
            do { filter = try SourceFilter(jsonMembersOf: f) } catch { throw ReportDecodingError("\(context).filter: \(error)") }
        } else {
            filter = nil
        }
        copies = try r.uint64("copies", default: 0)
        sendErrors = try r.uint64("send_errors", default: 0)
        if r.has("radio"), let object = json["radio"] {
            radio = try StationRadio(json: object, mac: mac ?? MACAddress(UInt64(0)), context: "\(context).radio")
            radioAgeSeconds = try StationRadio.ageSeconds(in: object, context: "\(context).radio")
        } else {
            radio = nil
            radioAgeSeconds = nil
        }
    }
}
