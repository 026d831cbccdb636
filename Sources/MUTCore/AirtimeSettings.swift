extension DaemonConfig {
    /// The airtime keys of the config file and their flags (`--airtime`, `--airtime-switch-factor` ...).
    mutating func applyAirtimeSettings(_ extra: [String: String]) throws(ConfigError) {
        func number(_ key: String, _ range: ClosedRange<Double>) throws(ConfigError) -> Double? {
            guard let text = extra[key] else { return nil }
            guard let value = Double(text), range.contains(value) else {
                throw .invalid("\(key) '\(text)': expected a number from \(range.lowerBound.plainDescription) to \(range.upperBound.plainDescription)")
            }
            return value
        }
        if let text = extra["airtime"] {
            guard let flag = ConfigFile.parseBool(text) else { throw .invalid("airtime '\(text)': expected yes or no") }
            airtime.enabled = flag
        }
        if let v = try number("airtime-multicast-rate", 1...10_000) { airtime.multicastRateMbps = v }
        if let v = try number("airtime-switch-factor", 1...100) { airtime.switchFactor = v }
        if let v = try number("airtime-return-factor", 0.01...1) { airtime.returnFactor = v }
        if let v = try number("airtime-min-dwell", 0...86_400) { airtime.minDwellSeconds = v }
        guard airtime.returnFactor < airtime.switchFactor else {
            throw .invalid("airtime-return-factor must be below airtime-switch-factor (else a group would flap)")
        }
    }

    /// The config file keys above.
    public static let airtimeKeys: Set<String> = [
        "airtime", "airtime-multicast-rate", "airtime-switch-factor", "airtime-return-factor", "airtime-min-dwell",
    ]
}
