// libFuzzer target: the /metrics endpoint's request-head decoder, fed the input whole and in
// pieces, and the answer built from its result. Untrusted bytes from any LAN host reach it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))

    var whole = HTTPRequestHeadDecoder()
    let wholeResult = whole.feed(bytes)
    let finished = whole.finish()
    precondition(finished != .needMore, "finish left the decoder wanting more")
    if wholeResult != .needMore { precondition(finished == wholeResult, "finish changed a decided result") }

    // In chunks whose sizes come from the first byte: the same result, whatever the split.
    let step = Int(bytes.first ?? 1) % 7 + 1
    var pieces = HTTPRequestHeadDecoder()
    var index = 0
    while index < bytes.count {
        _ = pieces.feed(bytes[index..<min(index + step, bytes.count)])
        index += step
    }
    precondition(pieces.finish() == finished, "chunked decoding differs from whole")

    // A smaller limit can only refuse (431), never decide differently.
    var limited = HTTPRequestHeadDecoder(maximumLength: 64)
    let limitedResult = limited.feed(bytes)
    if limitedResult != .needMore, limitedResult != .error(.tooLarge) {
        precondition(limitedResult == wholeResult, "the size limit changed a decision")
    }

    if case .head(let head) = finished {
        precondition(head.path.hasPrefix("/"), "a path that is not origin-form: \(head.path)")
        precondition(head.minorVersion == 0 || head.minorVersion == 1)
        precondition(head.minorVersion == 0 || head.host != nil, "HTTP/1.1 without Host accepted")
    }

    // Every answer is a complete HTTP/1.1 response that closes the connection.
    var rendered = 0
    let answer = MetricsHTTP.response(to: finished.outcome!) { rendered += 1; return "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x 1\n" }
    let text = String(decoding: answer, as: UTF8.self)
    precondition(text.hasPrefix("HTTP/1.1 ") && text.contains("\r\nConnection: close\r\n\r\n"), "incomplete answer")
    precondition(rendered <= 1)
    if rendered == 1 {
        guard case .head(let head) = finished, head.path == "/metrics", head.method == "GET" || head.method == "HEAD" else {
            preconditionFailure("the exposition was rendered for a request other than GET/HEAD /metrics")
        }
    }
    return 0
}
