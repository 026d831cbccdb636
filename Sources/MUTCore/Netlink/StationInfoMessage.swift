/// nl80211 station info, as mutd asks for it every few seconds: NL80211_CMD_GET_STATION dumped
/// per access point interface answers one NL80211_CMD_NEW_STATION message per station; and
/// NL80211_CMD_GET_INTERFACE dumped answers which interfaces are access points. Pure: builds
/// the requests and parses the answers, every length checked against the bytes present.
public enum StationInfo {
    static let commandGetInterface: UInt8 = 5  // NL80211_CMD_GET_INTERFACE
    static let commandNewInterface: UInt8 = 7  // NL80211_CMD_NEW_INTERFACE
    static let commandGetStation: UInt8 = 17  // NL80211_CMD_GET_STATION
    static let attributeInterfaceType: UInt16 = 5  // NL80211_ATTR_IFTYPE (u32)
    static let attributeStationInfo: UInt16 = 21  // NL80211_ATTR_STA_INFO (nested)
    static let interfaceTypeAP: UInt32 = 3  // NL80211_IFTYPE_AP
    static let interfaceTypeAPVLAN: UInt32 = 4  // NL80211_IFTYPE_AP_VLAN
    // NL80211_STA_INFO_*, inside NL80211_ATTR_STA_INFO
    static let infoInactiveTime: UInt16 = 1  // u32, ms
    static let infoSignal: UInt16 = 7  // s8, dBm
    static let infoTxBitrate: UInt16 = 8  // nested NL80211_RATE_INFO_*
    static let infoTxPackets: UInt16 = 10  // u32
    static let infoTxRetries: UInt16 = 11  // u32
    static let infoTxFailed: UInt16 = 12  // u32
    // NL80211_RATE_INFO_*, inside NL80211_STA_INFO_TX_BITRATE; both in units of 100 kbit/s
    static let rateBitrate16: UInt16 = 1  // u16, saturates at 6.5 Gbit/s
    static let rateBitrate32: UInt16 = 5  // u32

    static let flagRequest: UInt16 = 0x01  // NLM_F_REQUEST
    static let flagDump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH

    /// A dump of every station of one interface (NL80211_CMD_GET_STATION with its index).
    public static func stationDumpRequest(family: UInt16, interfaceIndex: Int32, sequence: UInt32) -> [UInt8] {
        let index = withUnsafeBytes(of: interfaceIndex) { Array($0) }
        let payload = GenericNetlink.request(command: commandGetStation, attributes: [(StationEvent.attributeInterfaceIndex, index)])
        return Netlink.request(type: family, flags: flagRequest | flagDump, sequence: sequence, payload: payload)
    }

    /// A dump of every nl80211 interface of this network namespace (NL80211_CMD_GET_INTERFACE).
    public static func interfaceDumpRequest(family: UInt16, sequence: UInt32) -> [UInt8] {
        Netlink.request(type: family, flags: flagRequest | flagDump, sequence: sequence,
                        payload: GenericNetlink.request(command: commandGetInterface, attributes: []))
    }

    /// The index of an access point interface from one answer to the interface dump; nil for
    /// other interface types, other messages, and answers without index or type.
    public static func accessPointIndex(_ message: Netlink.Message, family: UInt16) -> Int32? {
        guard message.type == family, message.payload.count >= GenericNetlink.headerLength,
              message.payload[0] == commandNewInterface else { return nil }
        var index: Int32?
        var type: UInt32?
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: message.payload[GenericNetlink.headerLength...])) { kind, value in
            if kind == StationEvent.attributeInterfaceIndex, value.count >= 4 { index = value.loadUnaligned(as: Int32.self) }
            if kind == attributeInterfaceType, value.count >= 4 { type = value.loadUnaligned(as: UInt32.self) }
        }
        guard let index, let type, type == interfaceTypeAP || type == interfaceTypeAPVLAN else { return nil }
        return index
    }

    /// One station of a station dump: its MAC, the interface, and the figures the driver gave.
    /// nil for other messages, for a non-unicast MAC, and for answers without interface, MAC
    /// or station info. An attribute of the wrong size is left out, never read past.
    public static func parse(_ message: Netlink.Message, family: UInt16) -> StationRadio? {
        guard message.type == family, message.payload.count >= GenericNetlink.headerLength,
              message.payload[0] == StationEvent.commandNewStation else { return nil }
        var index: Int32?
        var mac: MACAddress?
        var info: UnsafeRawBufferPointer?
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: message.payload[GenericNetlink.headerLength...])) { type, value in
            switch type {
            case StationEvent.attributeInterfaceIndex where value.count >= 4: index = value.loadUnaligned(as: Int32.self)
            case StationEvent.attributeMAC where value.count == 6: mac = MACAddress(value, at: 0)
            case attributeStationInfo: info = value
            default: break
            }
        }
        guard let index, let mac, mac.isUnicast, let info else { return nil }
        var radio = StationRadio(mac: mac, apInterfaceIndex: index)
        Netlink.forEachAttribute(in: info) { type, value in
            switch type {
            case infoInactiveTime: radio.inactiveMilliseconds = u32(value)
            case infoSignal where value.count >= 1: radio.signalDBm = Int8(bitPattern: value[0])
            case infoTxBitrate: radio.txBitrateKbps = bitrateKbps(value)
            case infoTxPackets: radio.txPackets = u32(value)
            case infoTxRetries: radio.txRetries = u32(value)
            case infoTxFailed: radio.txFailed = u32(value)
            default: break
            }
        }
        return radio
    }

    static func u32(_ value: UnsafeRawBufferPointer) -> UInt32? {
        value.count >= 4 ? value.loadUnaligned(as: UInt32.self) : nil
    }

    /// The rate from NL80211_RATE_INFO_*: the 32-bit figure when given, else the 16-bit one
    /// (older kernels); 0 means the driver does not know it.
    static func bitrateKbps(_ rateInfo: UnsafeRawBufferPointer) -> UInt32? {
        var wide: UInt32?
        var narrow: UInt16?
        Netlink.forEachAttribute(in: rateInfo) { type, value in
            if type == rateBitrate32, value.count >= 4 { wide = value.loadUnaligned(as: UInt32.self) }
            if type == rateBitrate16, value.count >= 2 { narrow = value.loadUnaligned(as: UInt16.self) }
        }
        guard let hundreds = wide ?? narrow.map(UInt32.init), hundreds > 0 else { return nil }
        return hundreds.multipliedReportingOverflow(by: 100).overflow ? UInt32.max : hundreds * 100
    }
}
