import Testing
@testable import MUTCore

/// nl80211 station info dumps (NL80211_CMD_GET_STATION / GET_INTERFACE): the requests mutd
/// sends and the answers, including every way the bytes can lie.
struct StationInfoTests {
    typealias S = StationTests
    static let family = S.family

    static func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    /// A nested attribute's bytes: attributes laid out as GenericNetlink.request does, without its header.
    static func nested(_ attributes: [(UInt16, [UInt8])]) -> [UInt8] {
        Array(GenericNetlink.request(command: 0, attributes: attributes).dropFirst(GenericNetlink.headerLength))
    }

    static func stationInfo(bitrate: [(UInt16, [UInt8])] = [(5, S.le32(1440))]) -> [UInt8] {
        nested([(1, S.le32(250)), (7, [UInt8(bitPattern: -42)]), (8, nested(bitrate)),
                (10, S.le32(1000)), (11, S.le32(37)), (12, S.le32(2)), (2, S.le32(99))])
    }

    static func answer(index: UInt32 = 7, mac: [UInt8] = S.macBytes(S.stationMAC), info: [UInt8]? = stationInfo()) -> [UInt8] {
        var attributes: [(UInt16, [UInt8])] = [(3, S.le32(index)), (6, mac)]
        if let info { attributes.append((21, info)) }
        return S.message(type: family, command: 19, attributes: attributes)
    }

    static func parse(_ bytes: [UInt8]) -> [StationRadio] {
        bytes.withUnsafeBytes { raw in Netlink.messages(in: raw).compactMap { StationInfo.parse($0, family: family) } }
    }

    @Test func aStationDumpAnswerGivesEveryFigure() {
        let expected = StationRadio(mac: S.stationMAC, apInterfaceIndex: 7, txBitrateKbps: 144_000, txPackets: 1000,
                                    txRetries: 37, txFailed: 2, signalDBm: -42, inactiveMilliseconds: 250)
        #expect(Self.parse(Self.answer()) == [expected])
        // Two stations in one datagram, as a dump sends them.
        let other = MACAddress("02:00:00:00:00:21")!
        #expect(Self.parse(Self.answer() + Self.answer(mac: S.macBytes(other))).map(\.mac) == [S.stationMAC, other])
    }

    @Test func theBitrateFallsBackToSixteenBitsAndZeroMeansUnknown() {
        #expect(Self.parse(Self.answer(info: Self.stationInfo(bitrate: [(1, Self.le16(65)), (2, [7])]))).first?.txBitrateKbps == 6_500)
        // BITRATE32 wins over the saturated 16-bit figure.
        #expect(Self.parse(Self.answer(info: Self.stationInfo(bitrate: [(1, Self.le16(0xFFFF)), (5, S.le32(96_000))]))).first?.txBitrateKbps == 9_600_000)
        #expect(Self.parse(Self.answer(info: Self.stationInfo(bitrate: [(5, S.le32(0))]))).first?.txBitrateKbps == nil)
        #expect(Self.parse(Self.answer(info: Self.stationInfo(bitrate: [(5, S.le32(.max))]))).first?.txBitrateKbps == .max)
        #expect(Self.parse(Self.answer(info: Self.stationInfo(bitrate: []))).first?.txBitrateKbps == nil)
    }

    @Test func missingOrShortFiguresAreLeftOut() {
        let sparse = Self.nested([(1, [1, 2]), (10, S.le32(5)), (11, [])])
        let radio = Self.parse(Self.answer(info: sparse)).first
        #expect(radio == StationRadio(mac: S.stationMAC, apInterfaceIndex: 7, txPackets: 5))
        #expect(Self.parse(Self.answer(info: [])).first == StationRadio(mac: S.stationMAC, apInterfaceIndex: 7))
    }

    @Test func malformedOrForeignAnswersAreIgnored() {
        #expect(Self.parse(Self.answer(info: nil)).isEmpty)  // an event without station info
        #expect(Self.parse(Self.answer(mac: [1, 0, 0x5e, 0, 0, 1])).isEmpty)
        #expect(Self.parse(Self.answer(mac: [2, 0, 0, 0, 0])).isEmpty)
        #expect(Self.parse(S.message(type: 0x1d, command: 19, attributes: [(3, S.le32(7)), (6, S.macBytes(S.stationMAC)), (21, [])])).isEmpty)
        #expect(Self.parse(S.message(type: Self.family, command: 20, attributes: [(3, S.le32(7)), (6, S.macBytes(S.stationMAC)), (21, [])])).isEmpty)
        // Every truncation of a good answer whose header still claims the whole length.
        let good = Self.answer()
        for cut in 0..<good.count { #expect(Self.parse(Array(good.prefix(cut))).isEmpty) }
    }

    @Test func lyingNestedLengthsNeverReadPastTheMessage() {
        // The station info claims more than its message holds: it is not walked at all.
        var lyingInfo = Self.answer()
        let infoOffset = Netlink.headerLength + GenericNetlink.headerLength + 8 + 12
        #expect(lyingInfo[infoOffset + 2] == 21)
        lyingInfo[infoOffset] = 0xF0
        lyingInfo[infoOffset + 1] = 0x01
        #expect(Self.parse(lyingInfo).isEmpty)
        // The bitrate attribute inside claims too much: the figures before it survive, the rest is dropped.
        var lyingRate = Self.answer()
        let rateOffset = infoOffset + 4 + 8 + 8
        #expect(lyingRate[rateOffset + 2] == 8)
        lyingRate[rateOffset] = 0xFF
        let radio = Self.parse(lyingRate).first
        #expect(radio?.inactiveMilliseconds == 250 && radio?.signalDBm == -42)
        #expect(radio?.txBitrateKbps == nil && radio?.txPackets == nil)
    }

    @Test func theInterfaceDumpNamesAccessPointsOnly() {
        func interface(_ index: UInt32, type: UInt32?) -> [UInt8] {
            var attributes: [(UInt16, [UInt8])] = [(3, S.le32(index)), (4, Array("wlan0".utf8) + [0])]
            if let type { attributes.append((5, S.le32(type))) }
            return S.message(type: Self.family, command: 7, attributes: attributes)
        }
        let datagram = interface(4, type: 3) + interface(5, type: 2) + interface(6, type: 4) + interface(8, type: nil)
        let found = datagram.withUnsafeBytes { Netlink.messages(in: $0).compactMap { StationInfo.accessPointIndex($0, family: Self.family) } }
        #expect(found == [4, 6])
    }

    @Test func requestsAreDumpsOfTheRightCommand() {
        let request = StationInfo.stationDumpRequest(family: Self.family, interfaceIndex: 9, sequence: 42)
        #expect(request.count == 16 + 4 + 8)
        #expect(Array(request[0..<4]) == S.le32(28))
        #expect(Array(request[4..<6]) == Self.le16(Self.family))
        #expect(Array(request[6..<8]) == Self.le16(0x301))  // NLM_F_REQUEST | NLM_F_DUMP
        #expect(Array(request[8..<12]) == S.le32(42))
        #expect(request[16] == 17)  // NL80211_CMD_GET_STATION
        #expect(Array(request[20...]) == [8, 0, 3, 0] + S.le32(9))  // NL80211_ATTR_IFINDEX
        let interfaces = StationInfo.interfaceDumpRequest(family: Self.family, sequence: 1)
        #expect(interfaces.count == 20 && interfaces[16] == 5 && Array(interfaces[6..<8]) == Self.le16(0x301))
    }
}
