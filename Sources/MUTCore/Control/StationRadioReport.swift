/// A Wi-Fi client's radio link in `mutctl groups`: the `"radio"` object of its JSON entry and
/// its cells in the client table. A figure the driver did not give is left out (JSON) or `-`.
extension StationRadio {
    /// `age` is how old the sample is, in seconds, when the report is made.
    public func json(ageSeconds: Double?) -> JSONValue {
        var members: [(String, JSONValue)] = [("ap_ifindex", .int(Int64(apInterfaceIndex)))]
        if let txBitrateKbps { members.append(("tx_bitrate_kbps", .uint(UInt64(txBitrateKbps)))) }
        if let txPackets { members.append(("tx_packets", .uint(UInt64(txPackets)))) }
        if let txRetries { members.append(("tx_retries", .uint(UInt64(txRetries)))) }
        if let txFailed { members.append(("tx_failed", .uint(UInt64(txFailed)))) }
        if let signalDBm { members.append(("signal_dbm", .int(Int64(signalDBm)))) }
        if let inactiveMilliseconds { members.append(("inactive_ms", .uint(UInt64(inactiveMilliseconds)))) }
        if let ageSeconds, ageSeconds.isFinite { members.append(("age_s", .double((max(0, ageSeconds) * 10).rounded() / 10))) }
        return .object(members)
    }

    /// The `"radio"` object of a client whose MAC is `mac`; its age comes back separately.
    init(json: JSONValue, mac: MACAddress, context: String) throws(ReportDecodingError) {
        let r = ReportReader(json, context: context)
        func u32(_ key: String) throws(ReportDecodingError) -> UInt32? {
            guard r.has(key) else { return nil }
            guard let n = UInt32(exactly: try r.uint64(key)) else { throw ReportDecodingError("\(context): \"\(key)\" is out of range") }
            return n
        }
        var signal: Int8?
        if let dBm = try r.optionalInt("signal_dbm") {
            guard let s = Int8(exactly: dBm) else { throw ReportDecodingError("\(context): \"signal_dbm\" is out of range") }
            signal = s
        }
        guard let index = Int32(exactly: try r.optionalInt("ap_ifindex") ?? 0) else {
            throw ReportDecodingError("\(context): \"ap_ifindex\" is out of range")
        }
        self.init(mac: mac, apInterfaceIndex: index, txBitrateKbps: try u32("tx_bitrate_kbps"), txPackets: try u32("tx_packets"),
                  txRetries: try u32("tx_retries"), txFailed: try u32("tx_failed"), signalDBm: signal,
                  inactiveMilliseconds: try u32("inactive_ms"))
    }

    static func ageSeconds(in json: JSONValue, context: String) throws(ReportDecodingError) -> Double? {
        let r = ReportReader(json, context: context)
        return r.has("age_s") ? try r.double("age_s") : nil
    }

    /// Client table headers, and this sample's cells (`-` for what is unknown, and for wired clients).
    static let tableHeaders = ["TX_MBPS", "RETRIES", "FAILED", "SIGNAL", "INACTIVE"]
    static func tableCells(_ radio: StationRadio?) -> [String] {
        guard let radio else { return tableHeaders.map { _ in "-" } }
        let rate = radio.txBitrateKbps.map { kbps in
            kbps % 1000 == 0 ? String(kbps / 1000) : "\(kbps / 1000).\(kbps % 1000 / 100)"
        }
        return [rate ?? "-", radio.txRetries.map(String.init) ?? "-", radio.txFailed.map(String.init) ?? "-",
                radio.signalDBm.map { "\($0)dBm" } ?? "-", radio.inactiveMilliseconds.map { "\($0)ms" } ?? "-"]
    }
}
