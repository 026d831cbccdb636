/// IGMP messages snooped since start, by type: what the membership table counts and what the
/// control protocol reports. The labels are the `type` label values of the metrics and the keys
/// of `status --json`'s `igmp` object.
public struct IGMPMessageCounts: Equatable, Sendable {
    public var query: UInt64 = 0
    public var v1Report: UInt64 = 0
    public var v2Report: UInt64 = 0
    public var v3Report: UInt64 = 0
    public var leave: UInt64 = 0
    /// Frames that did not parse (bad checksum, truncated, unknown type), and reports or leaves
    /// naming a non-multicast group (or from a multicast/broadcast sender).
    public var invalid: UInt64 = 0

    public init() {}

    /// The snooping table's counts, as reported.
    public init(_ stats: IGMPSnoopingStats) { self = stats.messages }

    public static let labels = ["query", "v1_report", "v2_report", "v3_report", "leave", "invalid"]

    public subscript(label: String) -> UInt64 {
        get {
            switch label {
            case "query": return query
            case "v1_report": return v1Report
            case "v2_report": return v2Report
            case "v3_report": return v3Report
            case "leave": return leave
            case "invalid": return invalid
            default: return 0
            }
        }
        set {
            switch label {
            case "query": query = newValue
            case "v1_report": v1Report = newValue
            case "v2_report": v2Report = newValue
            case "v3_report": v3Report = newValue
            case "leave": leave = newValue
            case "invalid": invalid = newValue
            default: break
            }
        }
    }
}
