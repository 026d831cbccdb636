/// What a heard query tells the membership table, whatever its protocol: who the querier is
/// (its version as the protocol numbers it) and the timers it announces.
struct QueryTimers {
    /// IGMP 1...3 or MLD 1...2, as the querier record shows it.
    var version: Int
    var isGeneral: Bool
    /// IGMPv3 and MLDv2 queries carry QRV and QQIC; older ones leave the configured values in force.
    var carriesTimers: Bool
    /// 0: not given.
    var robustness: Int
    var queryInterval: Double?
    /// Seconds.
    var maxResponseTime: Double

    init(_ query: IGMPQuery) {
        version = query.version
        isGeneral = query.isGeneral
        carriesTimers = query.version == 3
        robustness = query.robustness
        queryInterval = query.queryInterval
        maxResponseTime = query.maxResponseTime
    }

    init(_ query: MLDQuery) {
        version = query.version
        isGeneral = query.isGeneral
        carriesTimers = query.version == 2
        robustness = query.robustness
        queryInterval = query.version == 2 && query.queryIntervalSeconds > 0 ? Double(query.queryIntervalSeconds) : nil
        maxResponseTime = Double(query.maxResponseMilliseconds) / 1000
    }
}
