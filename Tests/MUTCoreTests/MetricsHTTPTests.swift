import Testing
@testable import MUTCore

@Suite struct HTTPRequestHeadTests {
    func decode(_ text: String, maximumLength: Int = HTTPRequestHeadDecoder.defaultMaximumLength) -> HTTPRequestHeadDecoder.Result {
        var decoder = HTTPRequestHeadDecoder(maximumLength: maximumLength)
        return decoder.feed(Array(text.utf8))
    }

    @Test func prometheusScrapeAndCurlParse() {
        let scrape = "GET /metrics HTTP/1.1\r\nHost: 10.0.0.1:9101\r\nUser-Agent: Prometheus/2.45.0\r\n"
            + "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
            + "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"
        #expect(decode(scrape) == .head(HTTPRequestHead(method: "GET", path: "/metrics", minorVersion: 1, host: "10.0.0.1:9101")))
        #expect(decode("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n") == .head(HTTPRequestHead(method: "HEAD", path: "/metrics", minorVersion: 0)))
        #expect(decode("GET http://[::1]:9101/metrics HTTP/1.1\r\nhost: [::1]:9101\r\n\r\n")
            == .head(HTTPRequestHead(method: "GET", path: "/metrics", minorVersion: 1, host: "[::1]:9101")))
        // Bare LF line ends, and empty lines before the request line, are tolerated.
        #expect(decode("\r\n\nGET / HTTP/1.1\nHost: x\n\n") == .head(HTTPRequestHead(method: "GET", path: "/", minorVersion: 1, host: "x")))
    }

    @Test func byteByByteEqualsWhole() {
        let text = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE AFTER THE HEAD"
        var decoder = HTTPRequestHeadDecoder()
        var results: [HTTPRequestHeadDecoder.Result] = []
        for byte in text.utf8 { results.append(decoder.feed([byte])) }
        #expect(results.filter { $0 != .needMore }.allSatisfy { $0 == decode(text) })
        // The head is complete at its final LF, 22 bytes of garbage before the end.
        #expect(results[results.count - 24] == .needMore && results[results.count - 23] != .needMore)
        #expect(decoder.finish() == decode(text))
    }

    @Test func incompleteHeadNeedsMoreThenFinishIsMalformed() {
        var decoder = HTTPRequestHeadDecoder()
        #expect(decoder.feed(Array("GET /metrics HTTP/1.1\r\nHost: a\r\n".utf8)) == .needMore)
        guard case .error(.malformed) = decoder.finish() else { Issue.record("finish did not refuse"); return }
        var empty = HTTPRequestHeadDecoder()
        #expect(empty.finish() == .error(.malformed("no request")))
    }

    @Test func malformedHeadsAre400() {
        let bad = [
            "GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\nHost: a\r\n\r\n", "GET /metrics HTTP/1.1 \r\nHost: a\r\n\r\n",
            "GET /metrics http/1.1\r\nHost: a\r\n\r\n", "GET /metrics HTTP/1\r\n\r\n", "GET /metrics HTTP/1.x\r\n\r\n",
            "G(T /metrics HTTP/1.0\r\n\r\n", " GET /metrics HTTP/1.0\r\n\r\n", "GET metrics HTTP/1.0\r\n\r\n",
            "GET * HTTP/1.0\r\n\r\n", "GET /me\u{7f}trics HTTP/1.0\r\n\r\n", "GET /m\u{e9} HTTP/1.0\r\n\r\n",
            "GET /metrics HTTP/1.1\r\n\r\n",  // HTTP/1.1 without Host
            "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /metrics HTTP/1.0\r\nNoColon\r\n\r\n", "GET /metrics HTTP/1.0\r\nBad Name: x\r\n\r\n",
            "GET /metrics HTTP/1.0\r\nName : x\r\n\r\n", "GET /metrics HTTP/1.0\r\n: x\r\n\r\n",
            "GET /metrics HTTP/1.0\r\nA: b\r\n folded\r\n\r\n", "GET /metrics HTTP/1.0\r\nA: b\u{1}c\r\n\r\n",
            "GET /metrics HTTP/1.0\r\r\n\r\n", "\u{0}GET /metrics HTTP/1.0\r\n\r\n",
            "GET /metrics HTTP/1.0\r\n" + String(repeating: "A: b\r\n", count: HTTPRequestHeadDecoder.maximumHeaders + 1) + "\r\n",
        ]
        for text in bad {
            let result = decode(text)
            guard case .error(let error) = result, error.status == 400 else {
                Issue.record("not refused with 400: \(text.debugDescription) -> \(result)")
                continue
            }
        }
    }

    @Test func otherVersionsAre505AndOversizedHeadsAre431() {
        #expect(decode("GET /metrics HTTP/2.0\r\n\r\n") == .error(.unsupportedVersion))
        #expect(decode("GET /metrics HTTP/1.2\r\nHost: a\r\n\r\n") == .error(.unsupportedVersion))
        #expect(decode("GET /metrics HTTP/0.9\r\n\r\n") == .error(.unsupportedVersion))
        let long = "GET /metrics HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "y", count: 9000) + "\r\n\r\n"
        #expect(decode(long) == .error(.tooLarge))
        // Within the limit the same head is fine; the limit counts the whole head.
        #expect(decode(long, maximumLength: 10_000) != .error(.tooLarge))
        // Endless empty lines or an endless request line stop at the limit too.
        #expect(decode(String(repeating: "\r\n", count: 5000)) == .error(.tooLarge))
        var decoder = HTTPRequestHeadDecoder(maximumLength: 100)
        #expect(decoder.feed(Array(repeating: UInt8(ascii: "A"), count: 99)) == .needMore)
        #expect(decoder.feed([UInt8(ascii: "A")]) == .error(.tooLarge))
        #expect(decoder.feed(Array("\r\n\r\n".utf8)) == .error(.tooLarge))
    }
}

@Suite struct MetricsHTTPTests {
    func answer(_ request: String, exposition: String = "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x 1\n") -> (status: Int, headers: [String], body: String, rendered: Bool) {
        var decoder = HTTPRequestHeadDecoder()
        var rendered = false
        let result = decoder.feed(Array(request.utf8)).outcome ?? decoder.finish().outcome!
        let bytes = MetricsHTTP.response(to: result) { rendered = true; return exposition }
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        let lines = parts[0].split(separator: "\r\n").map(String.init)
        let status = Int(lines[0].split(separator: " ")[1])!
        return (status, lines, parts.count > 1 ? String(parts[1]) : "", rendered)
    }

    func header(_ a: (status: Int, headers: [String], body: String, rendered: Bool), _ name: String) -> String? {
        a.headers.first { $0.lowercased().hasPrefix(name.lowercased() + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    @Test func getMetricsIs200WithTheExposition() {
        let a = answer("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(a.status == 200 && a.rendered)
        #expect(a.headers[0] == "HTTP/1.1 200 OK")
        #expect(header(a, "Content-Type") == MetricsExposition.contentType)
        #expect(header(a, "Connection") == "close")
        #expect(header(a, "Content-Length") == String(a.body.utf8.count))
        #expect(a.body == "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x 1\n")
    }

    @Test func headHasTheLengthButNoBody() {
        let a = answer("HEAD /metrics HTTP/1.0\r\n\r\n")
        #expect(a.status == 200 && a.body.isEmpty)
        #expect(header(a, "Content-Length") == "42")
    }

    @Test func otherPathsMethodsAndGarbage() {
        let notFound = answer("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(notFound.status == 404 && !notFound.rendered && header(notFound, "Connection") == "close")
        #expect(answer("GET /metricsx HTTP/1.0\r\n\r\n").status == 404)
        let post = answer("POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        #expect(post.status == 405 && !post.rendered && header(post, "Allow") == "GET, HEAD")
        #expect(answer("DELETE /metrics HTTP/1.0\r\n\r\n").status == 405)
        let garbage = answer("\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\u{0}\u{1}\u{fc}\u{3}\u{3}\n\n")
        #expect(garbage.status == 400 && !garbage.rendered && header(garbage, "Connection") == "close")
        #expect(answer("GET /metrics HTTP/1.0\r\n").status == 400)  // closed before the empty line
        #expect(answer("GET /metrics HTTP/2.0\r\n\r\n").status == 505)
        for (bytes, status) in [(MetricsHTTP.timeoutResponse, "408 Request Timeout"), (MetricsHTTP.busyResponse, "503 Service Unavailable")] {
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
            #expect(text.hasPrefix("HTTP/1.1 \(status)\r\n") && text.contains("\r\nConnection: close\r\n"))
            #expect(parts.count == 2 && text.contains("\r\nContent-Length: \(parts[1].utf8.count)\r\n"), "\(text)")
        }
    }
}
