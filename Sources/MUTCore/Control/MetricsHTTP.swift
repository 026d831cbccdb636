/// What the HTTP `/metrics` endpoint answers (`--metrics-listen`): read-only, one request per
/// connection. GET or HEAD /metrics → 200 with the exposition; another path → 404; another
/// method on /metrics → 405; a malformed head → 400 (431 too large, 505 HTTP/2). Every answer
/// says `Connection: close` and the server closes after it.
public enum MetricsHTTP {
    public static let path = "/metrics"

    /// The answer to a decoded head (or the decoder's error). `exposition` is called only for a
    /// GET or HEAD of /metrics, so other requests cost nothing.
    public static func response(to result: Result<HTTPRequestHead, HTTPHeadError>, exposition: () -> String) -> [UInt8] {
        switch result {
        case .failure(let error):
            let detail: String
            switch error {
            case .malformed(let why): detail = "bad request: \(why)"
            case .tooLarge: detail = "request head larger than \(HTTPRequestHeadDecoder.defaultMaximumLength) bytes"
            case .unsupportedVersion: detail = "HTTP/1.0 and HTTP/1.1 only"
            }
            return message(error.status, detail, includeBody: true)
        case .success(let head):
            let isHead = head.method == "HEAD"
            guard head.path == path else {
                return message(404, "not found: metrics are at \(path)", includeBody: !isHead)
            }
            guard head.method == "GET" || isHead else {
                return message(405, "method \(head.method) not allowed: \(path) is read-only (GET or HEAD)",
                               includeBody: true, extraHeaders: "Allow: GET, HEAD\r\n")
            }
            return encode(200, contentType: MetricsExposition.contentType, body: Array(exposition().utf8), includeBody: !isHead)
        }
    }

    static func message(_ status: Int, _ text: String, includeBody: Bool, extraHeaders: String = "") -> [UInt8] {
        encode(status, contentType: "text/plain; charset=utf-8", body: Array((text + "\n").utf8), includeBody: includeBody,
               extraHeaders: extraHeaders)
    }

    static func encode(_ status: Int, contentType: String, body: [UInt8], includeBody: Bool, extraHeaders: String = "") -> [UInt8] {
        let head = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
            + "Content-Type: \(contentType)\r\n"
            + "Content-Length: \(body.count)\r\n"
            + extraHeaders
            + "Cache-Control: no-store\r\n"
            + "Connection: close\r\n\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 431: return "Request Header Fields Too Large"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }

    /// Said to a connection that sent no complete head before its deadline.
    public static let timeoutResponse = message(408, "no complete request head in time", includeBody: true)
    /// Said to a connection beyond the server's limit, which is closed at once.
    public static let busyResponse = message(503, "too many connections; retry", includeBody: true, extraHeaders: "Retry-After: 1\r\n")
}

extension HTTPRequestHeadDecoder.Result {
    /// The decoded head or its error; nil while more bytes are needed.
    public var outcome: Result<HTTPRequestHead, HTTPHeadError>? {
        switch self {
        case .needMore: return nil
        case .head(let head): return .success(head)
        case .error(let error): return .failure(error)
        }
    }
}
