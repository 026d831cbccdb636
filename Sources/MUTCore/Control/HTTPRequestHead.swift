/// The request line and headers of one HTTP/1.0 or HTTP/1.1 request (RFC 9112), as the
/// `/metrics` endpoint needs them: method, path, version, and the Host header.
public struct HTTPRequestHead: Equatable, Sendable {
    public var method: String
    /// The target's path, without its query (`/metrics?x=1` is `/metrics`).
    public var path: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    public var host: String?

    public init(method: String, path: String, minorVersion: Int, host: String? = nil) {
        self.method = method
        self.path = path
        self.minorVersion = minorVersion
        self.host = host
    }
}

/// Why a request head was refused; each maps to the status code the answer carries.
public enum HTTPHeadError: Error, Equatable, Sendable {
    /// Not HTTP/1.x syntax (400), with what was wrong, for the answer's body.
    case malformed(String)
    /// The head did not end within the size limit (431).
    case tooLarge
    /// Well formed, but HTTP/2 or later (505).
    case unsupportedVersion

    public var status: Int {
        switch self {
        case .malformed: return 400
        case .tooLarge: return 431
        case .unsupportedVersion: return 505
        }
    }
}

/// Reads a request head from untrusted bytes fed in pieces. Everything is bounded: the head may
/// be at most `maximumLength` bytes (request line and headers, up to and including the empty
/// line), with at most `maximumHeaders` header lines; what follows the head is never looked at
/// (the endpoint answers GET and HEAD only and closes the connection after each answer).
/// Lines end in CRLF; a bare LF is accepted too (RFC 9112 section 2.2).
public struct HTTPRequestHeadDecoder: Sendable {
    public enum Result: Equatable, Sendable {
        case needMore
        case head(HTTPRequestHead)
        case error(HTTPHeadError)
    }

    public static let defaultMaximumLength = 8192
    public static let maximumHeaders = 64
    public let maximumLength: Int
    private var buffer: [UInt8] = []
    /// Whether a byte other than CR and LF has arrived: empty lines before it end nothing.
    private var hasContent = false
    public private(set) var result = Result.needMore

    public init(maximumLength: Int = HTTPRequestHeadDecoder.defaultMaximumLength) {
        self.maximumLength = max(16, maximumLength)
    }

    /// Adds bytes; once the result is a head or an error, further bytes are ignored.
    @discardableResult
    public mutating func feed(_ bytes: some Collection<UInt8>) -> Result {
        guard result == .needMore else { return result }
        for byte in bytes {
            buffer.append(byte)
            if byte != 0x0A && byte != 0x0D { hasContent = true }
            if byte == 0x0A, hasContent, let end = Self.headEnd(buffer) {
                result = Self.parse(buffer[..<end])
                buffer = []
                return result
            }
            if buffer.count >= maximumLength {
                result = .error(.tooLarge)
                buffer = []
                return result
            }
        }
        return result
    }

    /// The peer closed its side: an unfinished head is malformed.
    @discardableResult
    public mutating func finish() -> Result {
        if result == .needMore {
            result = .error(.malformed(buffer.isEmpty ? "no request" : "the request head is incomplete"))
            buffer = []
        }
        return result
    }

    /// The index just past the last header line when the buffer (which ends in LF) ends with an
    /// empty line. Called only once content has arrived: empty lines before the request line are
    /// skipped (RFC 9112 section 2.2), so they never end a head.
    private static func headEnd(_ buffer: [UInt8]) -> Int? {
        var end = buffer.count - 1  // the LF
        if end > 0, buffer[end - 1] == 0x0D { end -= 1 }
        guard end > 0, buffer[end - 1] == 0x0A else { return nil }
        return end
    }

    static func parse(_ head: ArraySlice<UInt8>) -> Result {
        var lines: [ArraySlice<UInt8>] = []
        var start = head.startIndex
        for index in head.indices where head[index] == 0x0A {
            var line = head[start..<index]
            if line.last == 0x0D { line = line.dropLast() }
            if !(lines.isEmpty && line.isEmpty) { lines.append(line) }
            start = index + 1
        }
        guard let requestLine = lines.first else { return .error(.malformed("no request line")) }
        guard lines.count - 1 <= maximumHeaders else { return .error(.malformed("more than \(maximumHeaders) header lines")) }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .error(.malformed("the request line is not 'METHOD TARGET HTTP/1.x'")) }
        let method = parts[0]
        guard !method.isEmpty, method.count <= 32, method.allSatisfy(isTokenByte) else {
            return .error(.malformed("bad method"))
        }
        let minor: Int
        switch parseVersion(parts[2]) {
        case .some(let version?): minor = version
        case .some(nil): return .error(.unsupportedVersion)
        case nil: return .error(.malformed("bad HTTP version"))
        }
        guard let path = originPath(parts[1]) else { return .error(.malformed("bad request target")) }
        var host: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: 0x3A) else { return .error(.malformed("a header line has no ':'")) }
            let name = line[..<colon]
            // A space before the colon or a folded line (leading space) is refused (RFC 9112 5.1, 5.2).
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return .error(.malformed("bad header name")) }
            let value = line[(colon + 1)...]
            guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                return .error(.malformed("a control character in a header value"))
            }
            if asciiLowercased(name) == "host" {
                guard host == nil else { return .error(.malformed("two Host headers")) }
                host = String(Substring(String(decoding: value, as: UTF8.self)).trimmingSpaces)
            }
        }
        // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400.
        if minor == 1, host == nil { return .error(.malformed("an HTTP/1.1 request without Host")) }
        return .head(HTTPRequestHead(method: String(decoding: method, as: UTF8.self), path: path, minorVersion: minor, host: host))
    }

    /// "HTTP/1.0" → 0, "HTTP/1.1" → 1; .some(nil) for a well-formed other version; nil when malformed.
    private static func parseVersion(_ text: ArraySlice<UInt8>) -> Int?? {
        let bytes = Array(text)
        guard bytes.count == 8, bytes[0..<5].elementsEqual("HTTP/".utf8), bytes[6] == 0x2E,
              isDigit(bytes[5]), isDigit(bytes[7]) else { return nil }
        guard bytes[5] == 0x31 else { return .some(nil) }
        return bytes[7] <= 0x31 ? .some(Int(bytes[7] - 0x30)) : .some(nil)
    }

    /// The path of an origin-form ("/metrics?x") or absolute-form ("http://host/metrics") target;
    /// nil for anything else (asterisk-form, authority-form, bytes outside visible ASCII).
    private static func originPath(_ target: ArraySlice<UInt8>) -> String? {
        guard !target.isEmpty, target.count <= 2048, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        var rest = target
        if rest.first != 0x2F {
            let lowered = asciiLowercased(rest.prefix(8))
            let scheme = lowered.hasPrefix("http://") ? 7 : lowered.hasPrefix("https://") ? 8 : 0
            guard scheme > 0 else { return nil }
            rest = rest.dropFirst(scheme)
            guard let slash = rest.firstIndex(of: 0x2F) else { return "/" }
            rest = rest[slash...]
        }
        if let mark = rest.firstIndex(where: { $0 == 0x3F || $0 == 0x23 }) { rest = rest[..<mark] }
        return String(decoding: rest, as: UTF8.self)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// tchar of RFC 9110 section 5.6.2.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    private static func asciiLowercased(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
