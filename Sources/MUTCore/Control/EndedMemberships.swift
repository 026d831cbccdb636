/// A membership that ended lately, and why: what `mutctl groups` answers when a viewer asks why
/// its stream stopped (it left, it went silent, its Wi-Fi station left the access point).
public struct EndedMembership: Equatable, Sendable {
    public enum Why: String, Sendable {
        /// The host said so (IGMPv2 leave, IGMPv3 TO_IN{}, MLD done, ...).
        case left
        /// No report for one membership interval.
        case expired
        /// Its Wi-Fi station disassociated or was deauthenticated.
        case stationLeft = "station_left"

        var label: String { self == .stationLeft ? "station left" : rawValue }
    }

    public var interface: String
    public var group: IPAddress
    public var host: IPAddress
    public var why: Why
    public var secondsAgo: Int

    public init(interface: String, group: IPAddress, host: IPAddress, why: Why, secondsAgo: Int) {
        self.interface = interface
        self.group = group
        self.host = host
        self.why = why
        self.secondsAgo = secondsAgo
    }

    public var json: JSONValue {
        .object([("interface", .string(interface)), ("group", .string(group.description)), ("client", .string(host.description)),
                 ("why", .string(why.rawValue)), ("ago_s", .int(Int64(secondsAgo)))])
    }

    init(json: JSONValue, context: String) throws(ReportDecodingError) {
        let r = ReportReader(json, context: context)
        interface = try r.string("interface")
        group = try GroupReport.address(r, "group", context)
        host = try GroupReport.address(r, "client", context)
        let text = try r.string("why")
        guard let why = Why(rawValue: text) else { throw ReportDecodingError("\(context): \"why\" is '\(text)', not left, expired or station_left") }
        self.why = why
        secondsAgo = try r.int("ago_s")
    }

    /// The text form's section, after the groups.
    static func table(_ ended: [EndedMembership]) -> String {
        let rows = [["CLIENT", "GROUP", "INTERFACE", "WHY", "AGO"]]
            + ended.map { [$0.host.description, $0.group.description, $0.interface, $0.why.label, "\($0.secondsAgo)s"] }
        return "ended in the last \(Int(ControlPlane.endedMemory / 60)) minutes:\n"
            + TextTable(columns: [.left, .left, .left, .left, .right], rows: rows).lines(indent: "    ").map { $0 + "\n" }.joined()
    }
}

extension ControlPlane {
    /// How long an ended membership is remembered, and how many at most.
    public static let endedMemory = 600.0
    static let maxEnded = 64

    /// Noted while the table's actions are recorded; `settle(now:)`, which ends every event,
    /// stamps the time.
    mutating func remember(_ key: MembershipKey, ended why: EndedMembership.Why) {
        if ended.count >= Self.maxEnded { ended.removeFirst(ended.count - Self.maxEnded + 1) }
        ended.append((key, why, .nan))
    }

    mutating func stampEnded(now: Double) {
        for i in ended.indices.reversed() {
            guard ended[i].at.isNaN else { break }
            ended[i].at = now
        }
    }

    /// The memberships that ended in the last `endedMemory` seconds, newest first.
    public func recentlyEnded(now: Double) -> [EndedMembership] {
        ended.filter { now - $0.at <= Self.endedMemory }.reversed().map { entry in
            EndedMembership(interface: entry.key.interface, group: entry.key.group, host: entry.key.host, why: entry.why,
                            secondsAgo: Int(max(0, now - entry.at).rounded(.down)))
        }
    }
}
