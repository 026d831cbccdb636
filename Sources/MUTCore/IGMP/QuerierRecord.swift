/// Who sent the queries of a link's querier.
public enum QuerierOrigin: String, Equatable, Sendable {
    /// Another host on the link.
    case otherHost = "other host"
    /// Another program on the router itself (igmpproxy, omcproxy, the bridge's own querier):
    /// its queries leave through the interface mutd snoops.
    case thisHost = "this host"
    /// mutd's own queries (`--querier`).
    case mutd = "mutd"
}

/// The querier a link has: the lowest-address querier heard within the other-querier-present
/// interval (RFC 3376 section 6.6.2).
public struct QuerierRecord: Equatable, Sendable {
    public var address: IPAddress
    public var version: Int
    public var origin: QuerierOrigin
    public var presentUntil: Double

    public init(address: IPAddress, version: Int, origin: QuerierOrigin, presentUntil: Double) {
        self.address = address
        self.version = version
        self.origin = origin
        self.presentUntil = presentUntil
    }

    public var isThisHost: Bool { origin != .otherHost }
}
