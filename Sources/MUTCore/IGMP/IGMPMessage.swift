/// IGMP messages as the snooping side needs them (RFC 1112, RFC 2236, RFC 3376). Values only:
/// parsing lives in IGMPParser.swift, state in MembershipTable.swift.
public enum IGMPMessage: Equatable, Sendable {
    /// Membership query (type 0x11) of any version.
    case query(IGMPQuery)
    /// IGMPv1 membership report (0x12).
    case v1Report(group: IPv4Address)
    /// IGMPv2 membership report (0x16).
    case v2Report(group: IPv4Address)
    /// IGMPv2 leave group (0x17).
    case v2Leave(group: IPv4Address)
    /// IGMPv3 membership report (0x22).
    case v3Report(IGMPv3Report)
}

/// IGMP type octets.
public enum IGMPType {
    public static let query: UInt8 = 0x11
    public static let v1Report: UInt8 = 0x12
    public static let v2Report: UInt8 = 0x16
    public static let v2Leave: UInt8 = 0x17
    public static let v3Report: UInt8 = 0x22
}

/// A membership query. The version follows from its length and max response code
/// (RFC 3376 section 7.1): 8 bytes with code 0 is v1, 8 bytes otherwise v2, 12 or more v3.
public struct IGMPQuery: Equatable, Sendable {
    public var version: Int
    /// 0.0.0.0 for a general query.
    public var group: IPv4Address
    public var maxResponseCode: UInt8
    /// "S" flag (v3 only): suppress router-side processing (timer updates) of this query.
    public var suppressRouterProcessing: Bool
    /// Querier's Robustness Variable (v3 only; 0 means "not given").
    public var robustness: Int
    /// Querier's Query Interval Code (v3 only; 0 means "not given").
    public var queryIntervalCode: UInt8
    /// Sources of a group-and-source-specific query (v3 only).
    public var sources: [IPv4Address]

    public init(version: Int, group: IPv4Address, maxResponseCode: UInt8, suppressRouterProcessing: Bool = false,
                robustness: Int = 0, queryIntervalCode: UInt8 = 0, sources: [IPv4Address] = []) {
        self.version = version
        self.group = group
        self.maxResponseCode = maxResponseCode
        self.suppressRouterProcessing = suppressRouterProcessing
        self.robustness = robustness
        self.queryIntervalCode = queryIntervalCode
        self.sources = sources
    }

    public var isGeneral: Bool { group.value == 0 }

    /// Max response time in seconds. v1 queries carry none; RFC 2236 section 4 says treat them as 10 s.
    /// v3 uses the floating-point code of RFC 3376 section 4.1.1 (units of 1/10 s).
    public var maxResponseTime: Double {
        switch version {
        case 1: return 10
        case 2: return Double(maxResponseCode) / 10
        default: return Double(IGMPQuery.decodeFloatingCode(maxResponseCode)) / 10
        }
    }

    /// The querier's query interval in seconds (QQIC decoded, RFC 3376 section 4.1.7); nil when not given.
    public var queryInterval: Double? {
        guard version == 3, queryIntervalCode != 0 else { return nil }
        return Double(IGMPQuery.decodeFloatingCode(queryIntervalCode))
    }

    /// RFC 3376 sections 4.1.1 and 4.1.7: codes below 128 are the value itself; above, the octet is
    /// 1|exp(3 bits)|mant(4 bits) and the value is (mant | 0x10) << (exp + 3).
    public static func decodeFloatingCode(_ code: UInt8) -> Int {
        guard code >= 128 else { return Int(code) }
        let exponent = Int(code >> 4 & 0x7)
        let mantissa = Int(code & 0xF)
        return (mantissa | 0x10) << (exponent + 3)
    }
}

/// IGMPv3 group record types (RFC 3376 section 4.2.12).
public enum IGMPRecordType: UInt8, Sendable, CaseIterable {
    case modeIsInclude = 1
    case modeIsExclude = 2
    case changeToInclude = 3
    case changeToExclude = 4
    case allowNewSources = 5
    case blockOldSources = 6
}

public struct IGMPGroupRecord: Equatable, Sendable {
    public var type: IGMPRecordType
    public var group: IPv4Address
    public var sources: [IPv4Address]
    /// Length of the auxiliary data, in bytes (skipped: RFC 3376 defines none).
    public var auxDataLength: Int

    public init(type: IGMPRecordType, group: IPv4Address, sources: [IPv4Address] = [], auxDataLength: Int = 0) {
        self.type = type
        self.group = group
        self.sources = sources
        self.auxDataLength = auxDataLength
    }
}

public struct IGMPv3Report: Equatable, Sendable {
    public var records: [IGMPGroupRecord]
    /// Records of unknown type: RFC 3376 section 4.2.12 says skip them silently; counted for the curious.
    public var unknownRecords: Int

    public init(records: [IGMPGroupRecord], unknownRecords: Int = 0) {
        self.records = records
        self.unknownRecords = unknownRecords
    }
}
