import Testing
@testable import MUTCore

/// The airtime decision: estimates from scripted station rates, hysteresis on a scripted clock,
/// and what it does to the table, the reports and the counters.
struct AirtimeTests {
    typealias C = ControlPlaneTests
    static let radio: Int32 = 9
    static let key = AirtimeKey(apInterfaceIndex: radio, group: .v4(C.group))
    static let lanInfo = InterfaceInfo(name: C.lan, index: 7, mac: C.routerMAC)

    /// Two members, A and B, on `lan0`; airtime with the defaults unless `tune` changes them.
    static func core(maxClients: Int? = nil, tune: (inout AirtimeConfig) -> Void = { _ in }) -> ControlPlane {
        var core = C.core()
        core.config.maxClients = maxClients
        tune(&core.config.airtime)
        core.airtime.config = core.config.airtime
        core.start(savedState: nil, now: 0)
        C.turn(&core, at: 0.5, heard: [(C.v2Report(C.group, from: C.hostA, mac: C.macA), .incoming),
                                       (C.v2Report(C.group, from: C.hostB, mac: C.macB), .incoming)])
        return core
    }

    /// A poll of the AP: every station in `rates` (kbit/s) with the given cumulative counters.
    @discardableResult static func sample(_ core: inout ControlPlane, at now: Double, _ rates: [MACAddress: UInt32],
                       packets: UInt32 = 1000, retries: UInt32 = 0) -> [ControlEffect] {
        let samples = rates.map { StationRadio(mac: $0.key, apInterfaceIndex: radio, txBitrateKbps: $0.value,
                                               txPackets: packets, txRetries: retries) }
        core.stationRadios(samples, apInterfaceIndex: radio, now: now)
        return core.takeEffects()
    }

    static func both(_ kbps: UInt32) -> [MACAddress: UInt32] { [C.macA: kbps, C.macB: kbps] }

    /// The verdict for a packet of the group, from the last table the core published.
    static func verdict(_ inputs: TableInputs?) -> Verdict? {
        guard let inputs else { return nil }
        let table = ForwardingTable.build(enabled: inputs.enabled, maxClients: inputs.maxClients, interfaces: [lanInfo],
                                          memberships: inputs.memberships, previous: nil,
                                          multicastStations: inputs.multicastStations)
        return table.routes[RouteKey(interfaceIndex: 7, group: C.group)]?.verdict(source: IPv4Address(10, 0, 0, 2))
    }

    static func report(_ core: ControlPlane, inputs: TableInputs, now: Double) -> GroupReport? {
        let table = ForwardingTable.build(enabled: inputs.enabled, maxClients: inputs.maxClients, interfaces: [lanInfo],
                                          memberships: inputs.memberships, previous: nil,
                                          multicastStations: inputs.multicastStations)
        return GroupsReport(table: table, memberships: core.memberships, radios: core.radios,
                            airtime: core.airtime.states, radioNames: [radio: "wlan0"], now: now).groups.first
    }

    @Test func theEstimateFollowsRateAndRetries() {
        let decisions = AirtimeDecisions()
        // (1344 + 52) bytes × 8 = 11168 bits: at 1 Mbit/s 11168 µs + 116 µs of overhead.
        #expect(decisions.multicastMicros == 11284)
        #expect(decisions.unicastMicros(rateKbps: 54000, retryRatio: 0) > 376 && decisions.unicastMicros(rateKbps: 54000, retryRatio: 0) < 377)
        #expect(decisions.unicastMicros(rateKbps: 1000, retryRatio: 1) == 2 * (11168 + 170))
    }

    @Test func retryRatiosComeFromCounterDeltas() {
        var decisions = AirtimeDecisions()
        func observe(_ packets: UInt32, _ retries: UInt32) {
            decisions.observe([C.macA: StationRadio(mac: C.macA, apInterfaceIndex: Self.radio, txPackets: packets, txRetries: retries)])
        }
        observe(100, 50)
        #expect(decisions.retryRatio(C.macA) == 0.5)  // first sample: cumulative
        observe(300, 150)
        #expect(decisions.retryRatio(C.macA) == 0.5)  // 100 retries over 200 packets
        observe(400, 150)
        #expect(decisions.retryRatio(C.macA) == 0)
        observe(400, 150)
        #expect(decisions.retryRatio(C.macA) == 0)  // nothing sent: the last ratio stands
        observe(10, 30)
        #expect(decisions.retryRatio(C.macA) == 3)  // counters went back: associated anew, cumulative
        decisions.observe([:])
        #expect(decisions.retryRatio(C.macA) == 0)  // a station gone is forgotten
    }

    @Test func cheapRatesKeepCopies() {
        var core = Self.core()
        let effects = Self.sample(&core, at: 2, Self.both(54000))
        #expect(core.airtime.states[Self.key]?.mode == .unicast)
        #expect(core.airtime.states[Self.key]?.stations == 2)
        #expect(C.published(effects).isEmpty)  // nothing to change: the table stays
        #expect(core.airtime.switches == 0)
    }

    @Test func lowRatesSwitchToMulticastAndTheReportsSayWhy() throws {
        var core = Self.core()
        Self.sample(&core, at: 2, Self.both(54000))
        let effects = Self.sample(&core, at: 4, Self.both(1000))
        let inputs = try #require(C.published(effects).last)
        #expect(inputs.multicastStations[.v4(C.group)] == [C.macA, C.macB])
        #expect(Self.verdict(inputs) == .pass(.airtime))
        #expect(effects.contains { if case .log(.info, let line) = $0 { line.contains("airtime: 239.1.1.1 on radio 9 now multicast") } else { false } })

        let group = try #require(Self.report(core, inputs: inputs, now: 10))
        #expect(group.mode == "multicast_cheaper")
        #expect(group.airtime == [AirtimeReport(radio: "wlan0", decision: "multicast", stations: 2, unicastMicros: 22676,
                                                multicastMicros: 11284, lastSwitchSecondsAgo: 6, switches: 1)])
        #expect(GroupsReport(groups: [group]).table.contains("airtime on wlan0: multicast, 2 station(s): copies 22676 µs vs multicast 11284 µs per packet; last switch 6 s ago (1 switch)"))
        let decoded = try GroupsReport(json: JSONParser.parse(GroupsReport(groups: [group]).json.serialized))
        #expect(decoded.groups.map(\.airtime) == [group.airtime])
        #expect(decoded.groups.map(\.mode) == ["multicast_cheaper"])

        var status = StatusReport(version: "t", enabled: true, interfaces: [C.lan], queues: [0], uptimeSeconds: 1)
        core.fill(&status, now: 10)
        #expect(status.airtimeSwitches == 1)
        #expect(try StatusReport(json: JSONParser.parse(status.json.serialized)).airtimeSwitches == 1)
        #expect(status.reasonLabels.contains("airtime"))
        #expect(MetricsExposition.render(status: status, groups: GroupsReport(groups: [group])).contains("mut_airtime_switches_total 1\n"))
    }

    @Test func copiesComeBackOnlyBelowTheLowerThresholdAndAfterTheDwell() throws {
        var core = Self.core()
        Self.sample(&core, at: 10, Self.both(1000))
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
        // Rates recover at once, but the dwell (30 s) holds the decision.
        for t in stride(from: 12.0, through: 38, by: 2) {
            #expect(C.published(Self.sample(&core, at: t, Self.both(54000))).isEmpty)
            #expect(core.airtime.states[Self.key]?.mode == .multicast)
        }
        // Between the thresholds (copies at 1.0 × multicast): still multicast after the dwell.
        Self.sample(&core, at: 41, Self.both(2000))
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
        let effects = Self.sample(&core, at: 42, Self.both(54000))
        #expect(core.airtime.states[Self.key]?.mode == .unicast)
        let inputs = try #require(C.published(effects).last)
        #expect(inputs.multicastStations.isEmpty)
        #expect(Self.verdict(inputs) == .translate)
        #expect(core.airtime.switches == 2)
        #expect(core.airtime.states[Self.key]?.lastSwitchAt == 42)
    }

    @Test func aRateOscillatingAroundTheThresholdSwitchesOnce() {
        var core = Self.core()
        // 1500 kbit/s: copies 1.35 × multicast; 1700: 1.19 × (over the return factor, 0.8).
        for i in 0..<300 { Self.sample(&core, at: 2 + Double(i) * 2, Self.both(i % 2 == 0 ? 1500 : 1700)) }
        #expect(core.airtime.switches == 1)
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
    }

    @Test func aRateSwingingAcrossBothThresholdsIsBoundedByTheDwell() {
        var core = Self.core()
        // Every 2 s from 1.35 × to 0.69 × and back, for 600 s: without hysteresis, 300 switches.
        for i in 0..<300 { Self.sample(&core, at: 2 + Double(i) * 2, Self.both(i % 2 == 0 ? 1500 : 3000)) }
        let dwell = core.airtime.config.minDwellSeconds
        #expect(core.airtime.switches >= 2)
        #expect(core.airtime.switches <= UInt64(2 * (600 / dwell) + 2))
    }

    @Test func membersWithoutSamplesKeepTodaysBehaviour() {
        var core = Self.core()
        #expect(core.airtime.states.isEmpty)
        // A sample without a TX bitrate (a driver that does not say) counts for nothing.
        let effects = Self.sample(&core, at: 2, [C.macA: 0])
        #expect(C.published(effects).isEmpty)
        #expect(core.airtime.states.isEmpty)
        #expect(core.airtime.multicastStations.isEmpty)
        core.stationRadios([StationRadio(mac: C.macA, apInterfaceIndex: Self.radio)], apInterfaceIndex: Self.radio, now: 3)
        #expect(core.airtime.states.isEmpty)
        // Fresh from association (the handshake's frames only, at a basic rate): not yet.
        Self.sample(&core, at: 4, Self.both(1000), packets: AirtimeDecisions.minTxPackets - 1)
        #expect(core.airtime.states.isEmpty)
        Self.sample(&core, at: 6, Self.both(1000), packets: AirtimeDecisions.minTxPackets)
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
    }

    @Test func aWiredMemberCountsForNeitherSide() {
        var core = Self.core()
        // Only A is a station: one copy at 500 kbit/s costs 2 × one multicast frame.
        Self.sample(&core, at: 2, [C.macA: 500])
        #expect(core.airtime.states[Self.key]?.stations == 1)
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
        #expect(core.airtime.multicastStations[.v4(C.group)] == [C.macA])
    }

    @Test func maxClientsStaysTheHardBound() throws {
        var core = Self.core(maxClients: 1)
        let effects = Self.sample(&core, at: 2, Self.both(1000))
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
        let inputs = try #require(C.published(effects).last)
        #expect(Self.verdict(inputs) == .pass(.overLimit))
        #expect(Self.report(core, inputs: inputs, now: 3)?.mode == "over_max_clients")
    }

    @Test func switchedOffItNeverDecides() {
        var core = Self.core { $0.enabled = false }
        let effects = Self.sample(&core, at: 2, Self.both(1000))
        #expect(C.published(effects).isEmpty)
        #expect(core.airtime.states.isEmpty)
        #expect(core.airtime.switches == 0)
    }

    @Test func theMulticastRateMovesTheThreshold() {
        // Group frames at 6 Mbit/s: two stations at 6 Mbit/s cost about 2.1 × one multicast frame.
        var core = Self.core { $0.multicastRateMbps = 6 }
        Self.sample(&core, at: 2, Self.both(6000))
        #expect(core.airtime.states[Self.key]?.mode == .multicast)
        var slow = Self.core()
        Self.sample(&slow, at: 2, Self.both(6000))
        #expect(slow.airtime.states[Self.key]?.mode == .unicast)
    }

    @Test func configKeysAndFlagsParse() throws {
        let file = try ConfigFile.parse("interface = lan0\nairtime = no\nairtime-multicast-rate = 6\nairtime-switch-factor = 2\nairtime-return-factor = 0.5\nairtime-min-dwell = 60\n")
        let (config, _) = try DaemonConfig.combining(file: file, flags: ConfigFile())
        #expect(config.airtime.enabled == false)
        #expect(config.airtime.multicastRateMbps == 6)
        #expect(config.airtime.switchFactor == 2)
        #expect(config.airtime.returnFactor == 0.5)
        #expect(config.airtime.minDwellSeconds == 60)
        #expect(try DaemonConfig.combining(file: nil, flags: { var f = ConfigFile(); f.interfaces = ["lan0"]; return f }()).0.airtime == AirtimeConfig())
        var flags = ConfigFile()
        flags.interfaces = ["lan0"]
        flags.extra = ["airtime-switch-factor": "1", "airtime-return-factor": "1"]
        #expect(throws: ConfigError.self) { try DaemonConfig.combining(file: nil, flags: flags) }
        flags.extra = ["airtime-multicast-rate": "0"]
        #expect(throws: ConfigError.self) { try DaemonConfig.combining(file: nil, flags: flags) }
        flags.extra = ["airtime": "maybe"]
        #expect(throws: ConfigError.self) { try DaemonConfig.combining(file: nil, flags: flags) }
    }
}
