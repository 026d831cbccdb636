/// The daemon's answer to one request. The handler returns typed reports; encoding to the wire
/// (one JSON object and "\n") happens here, so every response has the same shape:
/// `{"ok":true, ...}` or `{"ok":false,"error":"one line"}`.
public enum ControlResponse: Equatable, Sendable {
    case status(StatusReport)
    case groups(GroupsReport)
    /// Rendered as Prometheus text into `{"ok":true,"exposition":"..."}`; per-client series when
    /// the operator asked for them (`metrics-per-client`).
    case metrics(StatusReport, GroupsReport, perClient: Bool = false)
    /// A state change was carried out; the message says what was done, for the operator.
    case done(String)
    /// The daemon will not or cannot do it; one line naming the reason.
    case refused(String)

    public var json: JSONValue {
        switch self {
        case .status(let report):
            guard case .object(let members) = report.json else { return .object([("ok", .bool(true))]) }
            return .object([("ok", .bool(true))] + members)
        case .groups(let report):
            guard case .object(let members) = report.json else { return .object([("ok", .bool(true))]) }
            return .object([("ok", .bool(true))] + members)
        case .metrics(let status, let groups, let perClient):
            return .object([
                ("ok", .bool(true)),
                ("content_type", .string(MetricsExposition.contentType)),
                ("exposition", .string(MetricsExposition.render(status: status, groups: groups, perClient: perClient))),
            ])
        case .done(let message):
            return .object([("ok", .bool(true)), ("message", .string(message))])
        case .refused(let reason):
            return .object([("ok", .bool(false)), ("error", .string(ControlResponse.oneLine(reason)))])
        }
    }

    /// What the server writes: the JSON text and a newline.
    public var wireBytes: [UInt8] { Array((json.serialized + "\n").utf8) }

    /// An error response for a request that could not be decoded.
    public static func rejected(_ error: ControlRequestError) -> ControlResponse { .refused(error.message) }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}

/// What a client makes of the daemon's bytes.
public enum ControlReply: Equatable, Sendable {
    /// `"ok": true`; the whole object, for the caller to read the fields it asked for.
    case ok(JSONValue)
    /// `"ok": false`; the daemon's reason.
    case refused(String)

    /// Parses a complete response. Throws when the bytes are not a JSON object with a boolean `ok`.
    public init(bytes: [UInt8]) throws(ReportDecodingError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw ReportDecodingError("response is not JSON: \(error)")
        }
        guard case .object = value, let ok = value["ok"]?.boolValue else {
            throw ReportDecodingError("response has no \"ok\" field")
        }
        if ok {
            self = .ok(value)
        } else {
            self = .refused(value["error"]?.stringValue ?? "no reason given")
        }
    }
}
