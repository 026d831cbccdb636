/// One Wi-Fi station's radio link as the access point's driver reports it (nl80211
/// NL80211_CMD_GET_STATION), sampled by mutd. Every figure is optional: drivers leave out what
/// they do not track. Counters are the driver's (cumulative since association, 32-bit).
public struct StationRadio: Equatable, Sendable {
    public var mac: MACAddress
    /// The access point interface (kernel index) the station is associated to.
    public var apInterfaceIndex: Int32
    /// The rate of the last unicast frame sent to the station, in kbit/s.
    public var txBitrateKbps: UInt32?
    public var txPackets: UInt32?
    public var txRetries: UInt32?
    public var txFailed: UInt32?
    /// Signal strength of the station's last frame, in dBm.
    public var signalDBm: Int8?
    /// Milliseconds since the station last sent or received a frame.
    public var inactiveMilliseconds: UInt32?
    /// When mutd took the sample (the control plane's clock).
    public var sampledAt: Double

    public init(mac: MACAddress, apInterfaceIndex: Int32, txBitrateKbps: UInt32? = nil, txPackets: UInt32? = nil,
                txRetries: UInt32? = nil, txFailed: UInt32? = nil, signalDBm: Int8? = nil,
                inactiveMilliseconds: UInt32? = nil, sampledAt: Double = 0) {
        self.mac = mac
        self.apInterfaceIndex = apInterfaceIndex
        self.txBitrateKbps = txBitrateKbps
        self.txPackets = txPackets
        self.txRetries = txRetries
        self.txFailed = txFailed
        self.signalDBm = signalDBm
        self.inactiveMilliseconds = inactiveMilliseconds
        self.sampledAt = sampledAt
    }
}

extension ControlPlane {
    /// A fresh sample of every station on one access point interface: it replaces that
    /// interface's previous samples (a station missing from it is no longer associated there).
    public mutating func stationRadios(_ samples: [StationRadio], apInterfaceIndex: Int32, now: Double) {
        radios = radios.filter { $0.value.apInterfaceIndex != apInterfaceIndex }
        for var sample in samples.prefix(Self.maxRadioSamples) where sample.apInterfaceIndex == apInterfaceIndex {
            sample.sampledAt = now
            radios[sample.mac] = sample
        }
        airtime.observe(radios)
        airtimeDue = true
        settle(now: now)
    }

    /// Bound on the samples kept per access point interface (an AP serves a few hundred at most).
    public static let maxRadioSamples = 2048
}
