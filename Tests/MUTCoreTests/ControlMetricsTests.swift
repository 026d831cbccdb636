#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import MUTCore

/// A checker for the Prometheus text exposition format (0.0.4): the rules a scraper enforces,
/// plus ours (only fixed low-cardinality labels). Returns every sample as "name{labels}" -> value.
struct ExpositionChecker {
    struct Failure: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    static let allowedLabels: Set<String> = ["interface", "reason", "type", "version"]
    /// Only the per-client families (`metrics-per-client`), whose count is capped, carry these.
    static let clientLabels: Set<String> = ["group", "client", "mac"]

    static func isMetricName(_ s: Substring) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ s: Substring) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    static func check(_ text: String) throws(Failure) -> [String: Double] {
        guard text.hasSuffix("\n") else { throw Failure(line: 0, message: "does not end with a newline") }
        var help: Set<String> = []
        var types: [String: String] = [:]
        var samples: [String: Double] = [:]
        var current: String?
        var finished: Set<String> = []
        for (index, rawLine) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = index + 1
            let line = Substring(rawLine)
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard parts.count == 2, isMetricName(parts[0]) else { throw Failure(line: n, message: "malformed comment") }
                let name = String(parts[0])
                if current != name {
                    if let current { finished.insert(current) }
                    guard !finished.contains(name) else { throw Failure(line: n, message: "\(name) appears in two places") }
                    current = name
                }
                if line.hasPrefix("# HELP ") {
                    guard help.insert(name).inserted else { throw Failure(line: n, message: "second HELP for \(name)") }
                } else {
                    guard ["counter", "gauge", "untyped", "histogram", "summary"].contains(parts[1]) else {
                        throw Failure(line: n, message: "unknown type \(parts[1])")
                    }
                    guard types[name] == nil else { throw Failure(line: n, message: "second TYPE for \(name)") }
                    guard !samples.keys.contains(where: { $0 == name || $0.hasPrefix(name + "{") }) else {
                        throw Failure(line: n, message: "TYPE after samples of \(name)")
                    }
                    types[name] = String(parts[1])
                }
                continue
            }
            guard !line.hasPrefix("#"), !line.isEmpty else { throw Failure(line: n, message: "unexpected line '\(line)'") }
            // name{label="value",...} value
            var rest = line[...]
            let nameEnd = rest.firstIndex(where: { $0 == "{" || $0 == " " }) ?? rest.endIndex
            let name = rest[..<nameEnd]
            guard isMetricName(name) else { throw Failure(line: n, message: "bad metric name '\(name)'") }
            guard String(name) == current, let type = types[String(name)], help.contains(String(name)) else {
                throw Failure(line: n, message: "sample of \(name) outside its family or without HELP and TYPE")
            }
            if type == "counter" && !name.hasSuffix("_total") { throw Failure(line: n, message: "counter \(name) lacks _total") }
            rest = rest[nameEnd...]
            var labels: [(String, String)] = []
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    guard let eq = rest.firstIndex(of: "=") else { throw Failure(line: n, message: "label without '='") }
                    let labelName = rest[..<eq]
                    let allowed = name.hasPrefix("mut_client_") ? allowedLabels.union(clientLabels) : allowedLabels
                    guard isLabelName(labelName), allowed.contains(String(labelName)) else {
                        throw Failure(line: n, message: "label '\(labelName)' is not one of the fixed label names")
                    }
                    rest = rest[rest.index(after: eq)...]
                    guard rest.first == "\"" else { throw Failure(line: n, message: "label value not quoted") }
                    rest = rest.dropFirst()
                    var value = ""
                    while true {
                        guard let c = rest.first else { throw Failure(line: n, message: "unterminated label value") }
                        rest = rest.dropFirst()
                        if c == "\"" { break }
                        if c == "\\" {
                            guard let e = rest.first else { throw Failure(line: n, message: "dangling escape") }
                            rest = rest.dropFirst()
                            switch e {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw Failure(line: n, message: "bad escape \\\(e)")
                            }
                        } else {
                            value.append(c)
                        }
                    }
                    guard !labels.contains(where: { $0.0 == String(labelName) }) else { throw Failure(line: n, message: "repeated label") }
                    labels.append((String(labelName), value))
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { throw Failure(line: n, message: "no space before the value") }
            let valueText = rest.dropFirst()
            guard let value = Double(valueText), !valueText.contains(" ") else {
                throw Failure(line: n, message: "bad value '\(valueText)'")
            }
            if type == "counter" && value < 0 { throw Failure(line: n, message: "negative counter") }
            let key = labels.isEmpty ? String(name) : "\(name){" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
            guard samples.updateValue(value, forKey: key) == nil else { throw Failure(line: n, message: "duplicate series \(key)") }
        }
        for name in types.keys where !samples.keys.contains(where: { $0 == name || $0.hasPrefix(name + "{") }) {
            // A family with no samples is legal, but ours always have some.
            throw Failure(line: 0, message: "\(name) has no samples")
        }
        return samples
    }
}

@Suite struct ControlMetricsTests {
    @Test func expositionParsesBackToTheReport() throws {
        let text = MetricsExposition.render(status: sampleStatus(), groups: sampleGroups())
        let samples = try ExpositionChecker.check(text)
        #expect(samples["mut_build_info{version=0.1.0}"] == 1)
        #expect(samples["mut_enabled"] == 1)
        #expect(samples["mut_uptime_seconds"] == 93784)
        #expect(samples["mut_packets_total"] == 1000)
        #expect(samples["mut_copies_total"] == 1800)
        #expect(samples["mut_dropped_total"] == 900)
        #expect(samples["mut_passed_total{reason=no_members}"] == 70)
        #expect(samples["mut_passed_total{reason=over_max_clients}"] == 10)
        #expect(samples["mut_passed_total{reason=disabled}"] == 0)
        #expect(samples["mut_igmp_messages_total{type=v3_report}"] == 7)
        #expect(samples["mut_queue_drops_total"] == 5)
        #expect(samples["mut_clients"] == 3)
        #expect(samples["mut_interface_clients{interface=wlan0}"] == 2)
        #expect(samples["mut_interface_translating_groups{interface=lan0}"] == 0)
        #expect(samples["mut_interface_groups{interface=lan0}"] == 1)
        // Never a per-group or per-client label.
        #expect(!text.contains("239.1.1.1") && !text.contains("192.168.1.10"))
    }

    @Test func interfacesWithoutGroupsStillHaveSeries() throws {
        let samples = try ExpositionChecker.check(MetricsExposition.render(status: sampleStatus(), groups: GroupsReport(groups: [])))
        #expect(samples["mut_interface_groups{interface=wlan0}"] == 0)
        #expect(samples["mut_interface_clients{interface=lan0}"] == 0)
    }

    @Test func labelValuesAreEscaped() throws {
        var status = sampleStatus()
        status.version = "1.0 \"beta\"\\\nx"
        let samples = try ExpositionChecker.check(MetricsExposition.render(status: status, groups: sampleGroups()))
        #expect(samples["mut_build_info{version=1.0 \"beta\"\\\nx}"] == 1)
    }

    @Test func checkerRejectsBrokenExpositions() {
        let bad = [
            "mut_x 1\n",  // no HELP/TYPE
            "# HELP mut_x x\n# TYPE mut_x counter\nmut_x 1\n",  // counter without _total
            "# HELP mut_x_total x\n# TYPE mut_x_total counter\nmut_x_total{group=\"239.1.1.1\"} 1\n",  // forbidden label
            "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x one\n",
            "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x 1",  // no final newline
            "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x{type=\"a} 1\n",
            "# HELP mut_x x\n# TYPE mut_x gauge\nmut_x 1\nmut_x 2\n",
        ]
        for text in bad {
            #expect(throws: ExpositionChecker.Failure.self, "\(text)") { try ExpositionChecker.check(text) }
        }
    }

    @Test func checkerRejectsClientLabelsOutsideClientFamilies() {
        let text = "# HELP mut_copies_total x\n# TYPE mut_copies_total counter\nmut_copies_total{client=\"10.0.0.1\"} 1\n"
        #expect(throws: ExpositionChecker.Failure.self) { try ExpositionChecker.check(text) }
    }

    /// Tests/shell/metrics-sample.prom is what Tests/shell/metrics-check.sh feeds to the
    /// prometheus_client parser; it must stay exactly what the renderer produces.
    @Test func sampleFileMatchesTheRenderer() throws {
        let testFile = #filePath
        let root = testFile.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        let path = root + "/Tests/shell/metrics-sample.prom"
        let expected = MetricsExposition.render(status: sampleStatus(), groups: sampleGroups())
        guard let file = fopen(path, "r") else {
            Issue.record("cannot open \(path)")
            return
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        #expect(String(decoding: bytes, as: UTF8.self) == expected, "regenerate \(path) from MetricsExposition.render(sampleStatus(), sampleGroups())")
    }
}

let repositoryRoot = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")

/// Reads a file of the repository (tests run from anywhere); regenerate samples with
/// MUT_REGENERATE_SAMPLES=1 swift test --filter SampleFile.
func repositoryFile(_ relativePath: String) -> String? {
    guard let file = fopen(repositoryRoot + "/" + relativePath, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n == 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
