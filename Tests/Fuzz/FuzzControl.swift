// libFuzzer target: the control-protocol decoder, fed the input whole and in pieces, and the
// JSON parser (mutctl reads the daemon's answers with it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))

    // Whole, then in chunks whose sizes come from the first byte, with a small limit so the
    // length check is reached too.
    var whole = ControlRequestDecoder()
    let wholeResult = whole.feed(bytes)
    let finished = whole.finish()
    if case .request = wholeResult { precondition(finished == wholeResult, "finish changed a complete request") }
    let step = Int(bytes.first ?? 1) % 7 + 1
    var pieces = ControlRequestDecoder(maximumLength: 64)
    var index = 0
    while index < bytes.count {
        _ = pieces.feed(bytes[index..<min(index + step, bytes.count)])
        index += step
    }
    _ = pieces.finish()
    // A request the decoder accepts must survive its own wire form.
    if case .request(let request) = wholeResult {
        var again = ControlRequestDecoder()
        precondition(again.feed(request.wireBytes) == .request(request), "request does not round-trip: \(request)")
    }

    if let value = try? JSONParser.parse(bytes, maximumDepth: 16) {
        // What the parser accepts, serialised, parses back to the same value.
        let text = value.serialized
        guard let reparsed = try? JSONParser.parse(text, maximumDepth: 17) else {
            preconditionFailure("serialised JSON does not parse: \(text)")
        }
        precondition(reparsed == value || hasNonFiniteNumber(value), "JSON does not round-trip: \(text)")
    }
    return 0
}

/// "1e999" parses to infinity, which JSON cannot write back (it becomes null): not a bug.
private func hasNonFiniteNumber(_ value: JSONValue) -> Bool {
    switch value {
    case .double(let d): return !d.isFinite
    case .array(let items): return items.contains(where: hasNonFiniteNumber)
    case .object(let members): return members.contains { hasNonFiniteNumber($0.1) }
    default: return false
    }
}
