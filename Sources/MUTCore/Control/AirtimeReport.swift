/// The airtime decision for one radio a group's members are on, as `mutctl groups` shows it.
public struct AirtimeReport: Equatable, Sendable {
    /// The access point interface: its name, or "ifindex N" when mutd cannot name it.
    public var radio: String
    /// "unicast" (copies) or "multicast" (the original, once); a newer daemon may add others.
    public var decision: String
    /// Members on that radio with a TX bitrate sample: the ones the estimate counts.
    public var stations: Int
    /// Estimated airtime of one packet: as copies to those stations, and as one multicast frame.
    public var unicastMicros: Int
    public var multicastMicros: Int
    /// Seconds since the decision last changed; nil when it never did (copies since the start).
    public var lastSwitchSecondsAgo: Int?
    public var switches: UInt64

    public init(radio: String, decision: String, stations: Int, unicastMicros: Int, multicastMicros: Int,
                lastSwitchSecondsAgo: Int? = nil, switches: UInt64 = 0) {
        self.radio = radio
        self.decision = decision
        self.stations = stations
        self.unicastMicros = unicastMicros
        self.multicastMicros = multicastMicros
        self.lastSwitchSecondsAgo = lastSwitchSecondsAgo
        self.switches = switches
    }

    init(_ state: AirtimeState, radio: String, now: Double) {
        self.init(radio: radio, decision: state.mode.rawValue, stations: state.stations,
                  unicastMicros: Self.micros(state.unicastMicros), multicastMicros: Self.micros(state.multicastMicros),
                  lastSwitchSecondsAgo: state.lastSwitchAt.map { Self.micros(max(0, now - $0).rounded(.down)) },
                  switches: state.switches)
    }

    private static func micros(_ value: Double) -> Int {
        value.isFinite ? Int(max(0, min(value.rounded(), Double(Int32.max)))) : 0
    }

    /// The airtime lines of `mutctl groups` under a group.
    public var line: String {
        var text = "airtime on \(radio): \(decision), \(stations) station(s): copies \(unicastMicros) µs vs multicast \(multicastMicros) µs per packet"
        if let ago = lastSwitchSecondsAgo { text += "; last switch \(ago) s ago (\(switches) switch\(switches == 1 ? "" : "es"))" }
        return text
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("radio", .string(radio)),
            ("decision", .string(decision)),
            ("stations", .int(Int64(stations))),
            ("unicast_us", .int(Int64(unicastMicros))),
            ("multicast_us", .int(Int64(multicastMicros))),
        ]
        if let lastSwitchSecondsAgo { members.append(("last_switch_s_ago", .int(Int64(lastSwitchSecondsAgo)))) }
        members.append(("switches", .uint(switches)))
        return .object(members)
    }

    init(json: JSONValue, context: String) throws(ReportDecodingError) {
        let r = ReportReader(json, context: context)
        radio = try r.string("radio")
        decision = try r.string("decision")
        stations = try r.optionalInt("stations") ?? 0
        unicastMicros = try r.optionalInt("unicast_us") ?? 0
        multicastMicros = try r.optionalInt("multicast_us") ?? 0
        lastSwitchSecondsAgo = try r.optionalInt("last_switch_s_ago")
        switches = try r.uint64("switches", default: 0)
    }
}

extension GroupsReport {
    /// The airtime decisions of the radios a route's members are on, by radio index.
    static func airtimeReports(for route: GroupRoute, radios: [MACAddress: StationRadio],
                               airtime: [AirtimeKey: AirtimeState], radioNames: [Int32: String],
                               now: Double) -> [AirtimeReport] {
        guard !airtime.isEmpty else { return [] }
        let indexes = Set(route.members.compactMap { $0.mac.flatMap { radios[$0]?.apInterfaceIndex } })
        return indexes.sorted().compactMap { index in
            airtime[AirtimeKey(apInterfaceIndex: index, group: route.group)].map {
                AirtimeReport($0, radio: radioNames[index] ?? "ifindex \(index)", now: now)
            }
        }
    }
}
