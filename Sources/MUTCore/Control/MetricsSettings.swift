/// Where the HTTP `/metrics` endpoint listens (`--metrics-listen ADDR:PORT`): an IPv4 literal
/// ("127.0.0.1:9101", "0.0.0.0:9101") or a bracketed IPv6 literal ("[::1]:9101", "[::]:9101").
/// Literals only: mutd resolves no names.
public struct MetricsListenAddress: Equatable, Sendable, CustomStringConvertible {
    public enum Host: Equatable, Sendable {
        case v4(IPv4Address)
        case v6(IPv6Address)
    }

    public var host: Host
    public var port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(ConfigError) {
        func bad(_ why: String) -> ConfigError {
            .invalid("metrics-listen '\(text)': \(why); expected ADDR:PORT such as 127.0.0.1:9101 or [::1]:9101")
        }
        guard let colon = text.lastIndex(of: ":") else { throw bad("no port") }
        let hostText = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard let port = UInt16(portText), port > 0, portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw bad("port '\(portText)' is not a number from 1 to 65535")
        }
        if hostText.hasPrefix("[") {
            guard hostText.hasSuffix("]"), hostText.count > 2 else { throw bad("an IPv6 address needs both brackets") }
            let inner = hostText.dropFirst().dropLast()
            guard !inner.contains("%") else { throw bad("zoned (link-local %interface) addresses are not supported") }
            guard let address = IPv6Address(inner) else { throw bad("'\(inner)' is not an IPv6 address") }
            self.init(host: .v6(address), port: port)
        } else {
            guard !hostText.isEmpty else { throw bad("no address (all IPv4 addresses: 0.0.0.0, all IPv6: [::])") }
            guard !hostText.contains(":") else { throw bad("an IPv6 address goes in brackets") }
            guard let address = IPv4Address(hostText) else { throw bad("'\(hostText)' is not an IPv4 address (names are not resolved)") }
            self.init(host: .v4(address), port: port)
        }
    }

    public var description: String {
        switch host {
        case .v4(let a): return "\(a):\(port)"
        case .v6(let a): return "[\(a)]:\(port)"
        }
    }
}

/// The metrics settings of mutd.conf and their flags: `metrics-listen` (off by default) and
/// `metrics-per-client` (no by default; see `MetricsExposition.maximumClientSeries`).
public struct MetricsSettings: Equatable, Sendable {
    public var listen: MetricsListenAddress?
    public var perClient = false

    public init(listen: MetricsListenAddress? = nil, perClient: Bool = false) {
        self.listen = listen
        self.perClient = perClient
    }

    public init(extra: [String: String]) throws(ConfigError) {
        if let text = extra["metrics-listen"] { listen = try MetricsListenAddress(parsing: text) }
        if let text = extra["metrics-per-client"] {
            guard let flag = ConfigFile.parseBool(text) else { throw .invalid("metrics-per-client '\(text)': expected yes or no") }
            perClient = flag
        }
    }
}
