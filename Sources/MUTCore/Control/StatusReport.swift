/// What `mutctl status` shows: filled by the daemon, sent as JSON, rendered by mutctl.
/// Counts are since start; `groups` and `clients` are current.
public struct StatusReport: Equatable, Sendable {
    public var version: String
    public var enabled: Bool
    public var interfaces: [String]
    public var queues: [Int]
    public var uptimeSeconds: Int64
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    public var copies: UInt64 = 0
    /// Originals accepted unchanged, total and by `PassReason` label.
    public var passed: UInt64 = 0
    public var passedByReason: [String: UInt64] = [:]
    /// Originals dropped because copies replaced them.
    public var dropped: UInt64 = 0
    public var sendErrors: UInt64 = 0
    public var verdictErrors: UInt64 = 0
    /// Packets the kernel dropped before mutd saw them (queue full, socket buffer overrun).
    public var queueDrops: UInt64 = 0
    public var igmp = IGMPMessageCounts()
    /// Memberships the table bounds refused (too many groups, members or entries).
    public var refusedEntries: UInt64 = 0
    /// Neighbour entries of clients that failed (unreachable): their copies stopped.
    public var neighbourFailures: UInt64 = 0
    /// IGMP queries mutd sent as querier, and per-host queries (unicast MAC) among them not counted.
    public var queriesSent: UInt64 = 0
    public var perHostQueriesSent: UInt64 = 0
    public var groups: Int = 0
    public var clients: Int = 0
    /// Wi-Fi station events heard from the access point (nl80211), and stations that left.
    public var stationEvents: UInt64 = 0
    public var stationsLeft: UInt64 = 0
    /// Airtime decisions that changed a (radio, group) between copies and plain multicast.
    public var airtimeSwitches: UInt64 = 0
    /// The IGMP querier of each interface and the timers in force there.
    public var queriers: [QuerierStatus] = []
    /// MLD messages snooped since start; nil (and left out of the report) until one is heard.
    public var mld: IGMPMessageCounts?
    /// The MLD querier of each interface where one was heard.
    public var mldQueriers: [QuerierStatus] = []
    /// MLD queries mutd sent as querier (general and group-specific), and per-host ones.
    public var mldQueriesSent: UInt64 = 0
    public var mldPerHostQueriesSent: UInt64 = 0

    public init(version: String, enabled: Bool, interfaces: [String], queues: [Int], uptimeSeconds: Int64) {
        self.version = version
        self.enabled = enabled
        self.interfaces = interfaces
        self.queues = queues
        self.uptimeSeconds = uptimeSeconds
        for reason in PassReason.allCases { passedByReason[reason.label] = 0 }
    }

    /// Copies the daemon-wide data-plane counters in.
    public mutating func fill(from counters: DataPlaneCounters) {
        packets = counters.packets.load(ordering: .relaxed)
        bytes = counters.bytes.load(ordering: .relaxed)
        copies = counters.copies.load(ordering: .relaxed)
        dropped = counters.dropped.load(ordering: .relaxed)
        sendErrors = counters.sendErrors.load(ordering: .relaxed)
        verdictErrors = counters.verdictErrors.load(ordering: .relaxed)
        passed = 0
        for reason in PassReason.allCases {
            let count = counters.passed(reason)
            passedByReason[reason.label] = count
            passed &+= count
        }
    }

    /// Reason labels in a stable order: the known ones first, then any a newer daemon sent.
    public var reasonLabels: [String] {
        let known = PassReason.allCases.map(\.label)
        return known + passedByReason.keys.filter { !known.contains($0) }.sorted()
    }

    // MARK: JSON

    public var json: JSONValue {
        .object([
            ("enabled", .bool(enabled)),
            ("interfaces", .array(interfaces.map { .string($0) })),
            ("queues", .array(queues.map { .int(Int64($0)) })),
            ("packets", .uint(packets)),
            ("bytes", .uint(bytes)),
            ("copies", .uint(copies)),
            ("passed", .uint(passed)),
            ("dropped", .uint(dropped)),
            ("groups", .int(Int64(groups))),
            ("clients", .int(Int64(clients))),
            ("uptime_s", .int(uptimeSeconds)),
            ("version", .string(version)),
            ("passed_by_reason", .object(reasonLabels.map { ($0, .uint(passedByReason[$0] ?? 0)) })),
            ("send_errors", .uint(sendErrors)),
            ("verdict_errors", .uint(verdictErrors)),
            ("queue_drops", .uint(queueDrops)),
            ("igmp", .object(IGMPMessageCounts.labels.map { ($0, .uint(igmp[$0])) })),
            ("refused_entries", .uint(refusedEntries)),
            ("neighbour_failures", .uint(neighbourFailures)),
            ("queries_sent", .uint(queriesSent)),
            ("per_host_queries_sent", .uint(perHostQueriesSent)),
            ("station_events", .uint(stationEvents)),
            ("stations_left", .uint(stationsLeft)),
            ("airtime_switches", .uint(airtimeSwitches)),
            ("queriers", .array(queriers.map(\.json))),
        ] + mldMembers)
    }

    /// Reads what `json` wrote. The contract keys are required; the others default to 0 so that
    /// a newer mutctl can talk to an older mutd.
    public init(json: JSONValue) throws(ReportDecodingError) {
        let r = ReportReader(json, context: "status")
        version = try r.string("version")
        enabled = try r.bool("enabled")
        interfaces = try r.strings("interfaces")
        queues = try r.ints("queues")
        uptimeSeconds = try r.int64("uptime_s")
        packets = try r.uint64("packets")
        copies = try r.uint64("copies")
        passed = try r.uint64("passed")
        dropped = try r.uint64("dropped")
        groups = try r.int("groups")
        clients = try r.int("clients")
        bytes = try r.uint64("bytes", default: 0)
        sendErrors = try r.uint64("send_errors", default: 0)
        verdictErrors = try r.uint64("verdict_errors", default: 0)
        queueDrops = try r.uint64("queue_drops", default: 0)
        refusedEntries = try r.uint64("refused_entries", default: 0)
        neighbourFailures = try r.uint64("neighbour_failures", default: 0)
        queriesSent = try r.uint64("queries_sent", default: 0)
        perHostQueriesSent = try r.uint64("per_host_queries_sent", default: 0)
        stationEvents = try r.uint64("station_events", default: 0)
        stationsLeft = try r.uint64("stations_left", default: 0)
        airtimeSwitches = try r.uint64("airtime_switches", default: 0)
        passedByReason = try r.counts("passed_by_reason")
        queriers = []
        if r.has("queriers") {
            for item in try r.array("queriers") { queriers.append(try QuerierStatus(json: item)) }
        }
        var igmp = IGMPMessageCounts()
        for (label, count) in try r.counts("igmp") { igmp[label] = count }
        self.igmp = igmp
        try readMLD(r)
    }

    // MARK: Text

    /// The human form of `mutctl status`: aligned "name  value" lines.
    public var table: String {
        func joined(_ counts: [(String, UInt64)]) -> String {
            counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
        }
        let rows: [[String]] = [
            ["version", version],
            ["mode", enabled ? "enabled (translating multicast to unicast)" : "disabled (pass-through)"],
            ["uptime", Self.duration(uptimeSeconds)],
            ["interfaces", interfaces.isEmpty ? "-" : interfaces.joined(separator: " ")],
            ["queues", queues.isEmpty ? "-" : queues.map(String.init).joined(separator: " ")],
            ["groups", String(groups)],
            ["clients", String(clients)],
            ["packets", "\(packets) (\(bytes) bytes)"],
            ["copies", String(copies)],
            ["dropped", "\(dropped) (originals replaced by copies)"],
            ["passed", "\(passed)" + (passed > 0 ? " (" + joined(reasonLabels.compactMap { label in
                let n = passedByReason[label] ?? 0
                return n > 0 ? (label, n) : nil
            }) + ")" : "")],
            ["send errors", String(sendErrors)],
            ["verdict errors", String(verdictErrors)],
            ["queue drops", String(queueDrops)],
            ["igmp", joined(IGMPMessageCounts.labels.map { ($0, igmp[$0]) })],
            ["refused entries", String(refusedEntries)],
            ["neighbour failures", String(neighbourFailures)],
            ["queries sent", "\(queriesSent) general/group, \(perHostQueriesSent) per-host"],
            ["wi-fi stations", "\(stationEvents) events, \(stationsLeft) left"],
            ["airtime switches", String(airtimeSwitches)],
        ] + queriers.map { ["querier \($0.interface)", $0.line] } + mldRows
        return TextTable(columns: [.left, .left], rows: rows).lines.joined(separator: "\n") + "\n"
    }

    /// "3d 04:05:06" or "04:05:06".
    public static func duration(_ seconds: Int64) -> String {
        let s = max(0, seconds)
        let clock = pad2(s / 3600 % 24) + ":" + pad2(s / 60 % 60) + ":" + pad2(s % 60)
        return s >= 86400 ? "\(s / 86400)d \(clock)" : clock
    }

    private static func pad2(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
}

/// A daemon's JSON did not have the shape mutctl expects.
public struct ReportDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Typed access to the members of one JSON object, with errors naming the key.
struct ReportReader {
    let value: JSONValue
    let context: String

    init(_ value: JSONValue, context: String) {
        self.value = value
        self.context = context
    }

    private func field(_ key: String) throws(ReportDecodingError) -> JSONValue {
        guard case .object = value else { throw ReportDecodingError("\(context): expected an object") }
        guard let v = value[key] else { throw ReportDecodingError("\(context): missing \"\(key)\"") }
        return v
    }

    private func wrong(_ key: String, _ expected: String) -> ReportDecodingError {
        ReportDecodingError("\(context): \"\(key)\" is not \(expected)")
    }

    func has(_ key: String) -> Bool {
        if let v = value[key], v != .null { return true }
        return false
    }

    func string(_ key: String) throws(ReportDecodingError) -> String {
        guard let s = try field(key).stringValue else { throw wrong(key, "a string") }
        return s
    }

    func optionalString(_ key: String) throws(ReportDecodingError) -> String? {
        guard has(key) else { return nil }
        return try string(key)
    }

    func bool(_ key: String) throws(ReportDecodingError) -> Bool {
        guard let b = try field(key).boolValue else { throw wrong(key, "true or false") }
        return b
    }

    func uint64(_ key: String) throws(ReportDecodingError) -> UInt64 {
        guard let n = try field(key).uint64Value else { throw wrong(key, "a non-negative integer") }
        return n
    }

    func uint64(_ key: String, default fallback: UInt64) throws(ReportDecodingError) -> UInt64 {
        has(key) ? try uint64(key) : fallback
    }

    func double(_ key: String) throws(ReportDecodingError) -> Double {
        guard let n = try field(key).doubleValue else { throw wrong(key, "a number") }
        return n
    }

    func int64(_ key: String) throws(ReportDecodingError) -> Int64 {
        guard let n = try field(key).int64Value else { throw wrong(key, "an integer") }
        return n
    }

    func int(_ key: String) throws(ReportDecodingError) -> Int {
        guard let n = try field(key).int64Value, let i = Int(exactly: n) else { throw wrong(key, "an integer") }
        return i
    }

    func optionalInt(_ key: String) throws(ReportDecodingError) -> Int? {
        guard has(key) else { return nil }
        return try int(key)
    }

    func array(_ key: String) throws(ReportDecodingError) -> [JSONValue] {
        guard let a = try field(key).arrayValue else { throw wrong(key, "a list") }
        return a
    }

    func strings(_ key: String) throws(ReportDecodingError) -> [String] {
        var out: [String] = []
        for item in try array(key) {
            guard let s = item.stringValue else { throw wrong(key, "a list of strings") }
            out.append(s)
        }
        return out
    }

    func ints(_ key: String) throws(ReportDecodingError) -> [Int] {
        var out: [Int] = []
        for item in try array(key) {
            guard let n = item.int64Value, let i = Int(exactly: n) else { throw wrong(key, "a list of integers") }
            out.append(i)
        }
        return out
    }

    /// An object of counts; absent means empty.
    func counts(_ key: String) throws(ReportDecodingError) -> [String: UInt64] {
        guard has(key) else { return [:] }
        guard case .object(let members) = try field(key) else { throw wrong(key, "an object") }
        var out: [String: UInt64] = [:]
        for (name, count) in members {
            guard let n = count.uint64Value else { throw wrong("\(key).\(name)", "a non-negative integer") }
            out[name] = n
        }
        return out
    }
}
