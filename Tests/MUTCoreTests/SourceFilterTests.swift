import Testing
@testable import MUTCore

/// The one text form and the one JSON form of a source filter (state file, `groups --json`,
/// `mutctl groups`, mutd's log).
@Suite struct SourceFilterTests {
    let a = IPv4Address(10, 0, 0, 1)
    let b = IPv4Address(10, 0, 0, 2)

    @Test func unionAdmitsWhatEitherAdmits() {
        let a = IPAddress.v4(IPv4Address(10, 0, 0, 1)), b = IPAddress.v4(IPv4Address(10, 0, 0, 2))
        let c = IPAddress.v4(IPv4Address(10, 0, 0, 3))
        #expect(SourceFilter.include([a]).union(.include([a, b])) == .include([a, b]))
        #expect(SourceFilter.include([a]).union(.exclude([a, b])) == .exclude([b]))
        #expect(SourceFilter.exclude([a, b]).union(.include([a])) == .exclude([b]))
        #expect(SourceFilter.exclude([a, b]).union(.exclude([b, c])) == .exclude([b]))
        #expect(SourceFilter.include([]).union(.anySource) == .anySource)
        // Whatever the pair, a source is admitted by the union exactly when one of them admits it.
        let filters: [SourceFilter] = [.include([]), .include([a]), .include([a, b]), .exclude([]), .exclude([a]), .exclude([b, c])]
        for x in filters {
            for y in filters {
                for source in [a, b, c] {
                    #expect(x.union(y).admits(source) == (x.admits(source) || y.admits(source)), "\(x) ∪ \(y) at \(source)")
                }
            }
        }
    }

    @Test func text() {
        #expect(SourceFilter.anySource.description == "any source")
        #expect(SourceFilter.include(v4: []).description == "include none")
        #expect(SourceFilter.include(v4: [a, b]).description == "include 10.0.0.1,10.0.0.2")
        #expect(SourceFilter.exclude(v4: [b]).description == "exclude 10.0.0.2")
    }

    @Test func jsonRoundTripsInsideAnyObject() throws {
        for filter in [SourceFilter.anySource, .include(v4: [a]), .include(v4: []), .exclude(v4: [a, b])] {
            let object = JSONValue.object([("host", .string("10.0.0.9"))] + filter.jsonMembers)
            let text = object.serialized
            #expect(try SourceFilter(jsonMembersOf: JSONParser.parse(text)) == filter)
        }
    }

    @Test func jsonErrorsSayWhatIsWrong() {
        func problem(_ text: String) -> String? {
            do { _ = try SourceFilter(jsonMembersOf: JSONParser.parse(text)); return nil } catch { return "\(error)" }
        }
        #expect(problem(#"{"sources":[]}"#) == "no mode")
        #expect(problem(#"{"mode":"block","sources":[]}"#) == "mode 'block' is neither include nor exclude")
        #expect(problem(#"{"mode":"include","sources":["10.0.0.300"]}"#) == "source '10.0.0.300' is not an IP address")
        #expect(problem(#"{"mode":"include","sources":[7]}"#) == "source '(not a string)' is not an IP address")
        #expect(problem(#"{"mode":"exclude"}"#) == nil)
    }

    @Test func oneValidatorForStaticAndControlSubscribers() {
        // The same input is refused for the same reason by --static and by `mutctl add`.
        let bad = [("239.1.1.1", "239.0.0.5", nil), ("224.0.0.22", "10.0.0.1", nil), ("10.0.0.1", "10.0.0.2", nil),
                   ("239.1.1.1", "10.0.0.2", "bad/name")]
        for (group, client, interface) in bad {
            guard case .failure(let problem) = StaticSubscriber.validated(group: group, client: client, interface: interface)
            else { Issue.record("accepted \(group) \(client)"); continue }
            let line = [group, client, interface].compactMap { $0 }
            #expect(throws: ConfigError.invalid("static subscriber '\(line.joined(separator: ","))': \(problem)")) {
                try StaticSubscriber(parsing: line.joined(separator: ","))
            }
            guard case .error(let error) = ControlRequestDecoder.parse(line: Array(("add " + line.joined(separator: " ")).utf8))
            else { Issue.record("control accepted \(line)"); continue }
            #expect(error.message == "add: \(problem)")
        }
    }
}
