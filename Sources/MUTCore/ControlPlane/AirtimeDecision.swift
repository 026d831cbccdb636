/// What the operator tunes of the airtime decision (mutd.conf(5) `airtime*` keys).
public struct AirtimeConfig: Equatable, Sendable {
    /// Off: every group is translated as before (within `max-clients`), whatever the rates.
    public var enabled = true
    /// The rate group-addressed frames go at on the radio, Mbit/s: the lowest basic rate.
    /// 1 is what hostapd's 802.11g/b defaults give a 2.4 GHz AP (basic rates 1, 2, 5.5, 11);
    /// an AP with higher basic rates (5 GHz: 6) says so here. Too low a figure errs towards
    /// unicast, which is what mutd did before this decision existed.
    public var multicastRateMbps = 1.0
    /// Plain multicast once the copies cost more than this many times one multicast frame.
    public var switchFactor = 1.25
    /// Back to copies only once they cost less than this many times one multicast frame ...
    public var returnFactor = 0.8
    /// ... and this many seconds after the last switch.
    public var minDwellSeconds = 30.0
    /// The IP packet the estimate is made for: an IPTV datagram (7 TS packets + UDP + IP).
    public var packetBytes = 1344

    public init() {}
}

/// How one (radio, group) is sent.
public enum AirtimeMode: String, Equatable, Sendable {
    case unicast
    case multicast
}

/// One radio (access point interface, by kernel index) and one group.
public struct AirtimeKey: Hashable, Sendable {
    public var apInterfaceIndex: Int32
    public var group: IPAddress

    public init(apInterfaceIndex: Int32, group: IPAddress) {
        self.apInterfaceIndex = apInterfaceIndex
        self.group = group
    }
}

/// The decision for one (radio, group), with the inputs of its last evaluation.
public struct AirtimeState: Equatable, Sendable {
    public var mode = AirtimeMode.unicast
    /// Airtime of one packet as unicast copies to every sampled member, and as one multicast frame, µs.
    public var unicastMicros = 0.0
    public var multicastMicros = 0.0
    /// Members with a TX bitrate sample: the only ones the estimate counts.
    public var stations = 0
    /// When the mode last changed (control plane clock); nil: never, copies since the start.
    public var lastSwitchAt: Double?
    public var switches: UInt64 = 0

    public init() {}
}

/// The airtime-aware choice between unicast copies and plain multicast, per (radio, group),
/// with hysteresis. Pure: samples and memberships in, modes out.
///
/// The estimate (802.11g OFDM timing, long enough for 802.11n/ac legacy-rate fallbacks too):
/// - one unicast copy to a station: (frame bits / its TX bitrate + `unicastOverheadMicros`)
///   × (1 + its retry ratio), the ratio being TX retries per TX packet between its last two
///   samples (its cumulative counters for the first sample, and the last ratio while it was
///   sent nothing);
/// - one multicast frame: frame bits / `multicastRateMbps` + `multicastOverheadMicros`
///   (sent once, never retried).
/// Frame bits are (`packetBytes` + `frameOverheadBytes`) × 8.
public struct AirtimeDecisions: Sendable {
    public var config: AirtimeConfig
    public private(set) var states: [AirtimeKey: AirtimeState] = [:]
    /// Mode changes since start, every (radio, group) together.
    public private(set) var switches: UInt64 = 0
    private var retryCounters: [MACAddress: RetryCounters] = [:]
    /// The sampled members each (radio, group) estimate counted.
    private var stationsOf: [AirtimeKey: Set<MACAddress>] = [:]

    /// 802.11 MAC header 24, LLC/SNAP 8, CCMP 16, FCS 4.
    public static let frameOverheadBytes = 52
    /// DIFS 28 + mean backoff (CWmin 15 × 9 µs / 2) 68 + preamble 20 + SIFS 10 + ACK 44 µs.
    public static let unicastOverheadMicros = 170.0
    /// DIFS 28 + mean backoff 68 + preamble 20 µs: no ACK.
    public static let multicastOverheadMicros = 116.0
    /// Bound on the retry ratio one sample may claim (a frame is tried at most a few times over).
    public static let maxRetryRatio = 15.0
    /// A station the AP has sent fewer frames than this since it associated counts for neither
    /// side: its TX bitrate is still the initial one (the handshake's, at a basic rate), not
    /// what rate control found (measured in the Wi-Fi bed: 6 Mbit/s after association, 54
    /// once data flowed).
    public static let minTxPackets: UInt32 = 100

    private struct RetryCounters: Sendable {
        var packets: UInt32
        var retries: UInt32
        var ratio: Double
    }

    public init(config: AirtimeConfig = AirtimeConfig()) {
        self.config = config
    }

    var frameBits: Double { Double(config.packetBytes + Self.frameOverheadBytes) * 8 }

    /// One unicast copy's airtime, µs, at `rateKbps` with `retryRatio` retries per frame.
    public func unicastMicros(rateKbps: UInt32, retryRatio: Double) -> Double {
        (frameBits * 1000 / Double(rateKbps) + Self.unicastOverheadMicros) * (1 + retryRatio)
    }

    /// One multicast frame's airtime, µs.
    public var multicastMicros: Double { frameBits / config.multicastRateMbps + Self.multicastOverheadMicros }

    /// The retry ratio last measured for a station (0 before any counters).
    public func retryRatio(_ mac: MACAddress) -> Double { retryCounters[mac]?.ratio ?? 0 }

    /// Takes every station's latest sample (after a poll): their retry ratios move on.
    public mutating func observe(_ radios: [MACAddress: StationRadio]) {
        var next: [MACAddress: RetryCounters] = [:]
        for (mac, radio) in radios {
            guard let packets = radio.txPackets, let retries = radio.txRetries else { continue }
            let ratio: Double
            if let previous = retryCounters[mac], packets >= previous.packets, retries >= previous.retries {
                let sent = packets - previous.packets
                ratio = sent == 0 ? previous.ratio : Double(retries - previous.retries) / Double(sent)
            } else {
                // First sample, or counters that went back (the station associated anew).
                ratio = packets == 0 ? 0 : Double(retries) / Double(packets)
            }
            next[mac] = RetryCounters(packets: packets, retries: retries, ratio: min(ratio, Self.maxRetryRatio))
        }
        retryCounters = next
    }

    /// Estimates every (radio, group) that has sampled members and moves each one's mode by the
    /// hysteresis rule. `members` are (group, MAC) pairs; a MAC without a radio sample (wired,
    /// not associated here, no TX bitrate, fewer than `minTxPackets` sent) counts for neither side. Returns the switches
    /// made, for the log.
    @discardableResult
    public mutating func decide(members: [(group: IPAddress, mac: MACAddress)], radios: [MACAddress: StationRadio],
                                now: Double) -> [(AirtimeKey, AirtimeState)] {
        guard config.enabled else {
            states = [:]
            stationsOf = [:]
            return []
        }
        var unicast: [AirtimeKey: (micros: Double, stations: Set<MACAddress>)] = [:]
        for member in members {
            guard let radio = radios[member.mac], let rate = radio.txBitrateKbps, rate > 0,
                  (radio.txPackets ?? 0) >= Self.minTxPackets else { continue }
            let key = AirtimeKey(apInterfaceIndex: radio.apInterfaceIndex, group: member.group)
            guard unicast[key]?.stations.contains(member.mac) != true else { continue }
            unicast[key, default: (0, [])].micros += unicastMicros(rateKbps: rate, retryRatio: retryRatio(member.mac))
            unicast[key, default: (0, [])].stations.insert(member.mac)
        }
        let multicast = multicastMicros
        var next: [AirtimeKey: AirtimeState] = [:]
        var switched: [(AirtimeKey, AirtimeState)] = []
        for (key, estimate) in unicast {
            var state = states[key] ?? AirtimeState()
            state.unicastMicros = estimate.micros
            state.multicastMicros = multicast
            state.stations = estimate.stations.count
            let target = nextMode(state, now: now)
            if target != state.mode {
                state.mode = target
                state.lastSwitchAt = now
                state.switches &+= 1
                switches &+= 1
                switched.append((key, state))
            }
            next[key] = state
        }
        states = next
        stationsOf = unicast.mapValues(\.stations)
        return switched
    }

    /// Multicast above `switchFactor`; unicast again only below `returnFactor` and after the dwell.
    func nextMode(_ state: AirtimeState, now: Double) -> AirtimeMode {
        let ratio = state.unicastMicros / state.multicastMicros
        switch state.mode {
        case .unicast:
            return ratio > config.switchFactor ? .multicast : .unicast
        case .multicast:
            let dwelt = state.lastSwitchAt.map { now - $0 >= config.minDwellSeconds } ?? true
            return ratio < config.returnFactor && dwelt ? .unicast : .multicast
        }
    }

    /// For each group, the stations whose radio sends it as plain multicast now.
    public var multicastStations: [IPAddress: Set<MACAddress>] {
        var out: [IPAddress: Set<MACAddress>] = [:]
        for (key, state) in states where state.mode == .multicast {
            out[key.group, default: []].formUnion(stationsOf[key] ?? [])
        }
        return out
    }
}
