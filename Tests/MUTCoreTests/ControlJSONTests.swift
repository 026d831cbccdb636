import Testing
@testable import MUTCore

@Suite struct ControlJSONTests {
    @Test func writesEscapedStrings() {
        #expect(JSONValue.string("a\"b\\c\nd\te\u{1}f\u{7F}").serialized == #""a\"b\\c\nd\te\u0001f\u007f""#)
        #expect(JSONValue.string("gr\u{fc}n \u{1F4FA}").serialized == "\"gr\u{fc}n \u{1F4FA}\"")
    }

    @Test func writesNumbersExactly() {
        #expect(JSONValue.uint(.max).serialized == "18446744073709551615")
        #expect(JSONValue.int(.min).serialized == "-9223372036854775808")
        #expect(JSONValue.double(2.5).serialized == "2.5")
        #expect(JSONValue.double(3).serialized == "3")
        #expect(JSONValue.double(.nan).serialized == "null")
        #expect(JSONValue.double(.infinity).serialized == "null")
    }

    @Test func roundTrips() throws {
        let value = JSONValue.object([
            ("ok", .bool(true)), ("none", .null), ("big", .uint(.max)), ("neg", .int(-42)), ("pi", .double(3.25)),
            ("tiny", .double(1e-300)), ("huge", .double(1.5e300)),
            ("text", .string("line1\nline2 \"quoted\" \\ \u{0} \u{1F600}")),
            ("list", .array([.int(1), .array([]), .object([])])),
            ("nested", .object([("a", .object([("b", .array([.string("c")]))]))])),
        ])
        let parsed = try JSONParser.parse(value.serialized)
        #expect(parsed == value)
        #expect(parsed["big"]?.uint64Value == .max)
        #expect(parsed["neg"]?.int64Value == -42)
        #expect(parsed["text"]?.stringValue == "line1\nline2 \"quoted\" \\ \u{0} \u{1F600}")
        #expect(parsed.serialized == value.serialized)
    }

    @Test func parsesWhitespaceEscapesAndSurrogates() throws {
        let parsed = try JSONParser.parse(" { \"k\" : [ 1 , -0.5e2 , \"\\u00e9\\ud83d\\ude00\\/\" ] } \n")
        #expect(parsed == .object([("k", .array([.int(1), .double(-50), .string("\u{e9}\u{1F600}/")]))]))
        #expect(try JSONParser.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "[1 2]",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\u12g4\"", "\"raw\ncontrol\"",
        "{\"a\" 1}", "{1:2}", "[] []", "NaN", "1e999",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try JSONParser.parse(fine) != .null)
        // Far beyond any stack: still a clean error.
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    }

    @Test func errorSaysWhere() {
        do {
            _ = try JSONParser.parse("{\"a\":tru}")
            Issue.record("parsed invalid JSON")
        } catch {
            #expect(error.offset == 8)
            #expect(error.description == "invalid literal, expected 'true' at byte 8")
        }
    }
}
