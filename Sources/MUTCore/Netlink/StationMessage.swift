/// Generic netlink (nl80211 rides on it): a 4-byte header (command, version, reserved) after
/// the netlink header, then attributes. Pure parsing of what the kernel sends.
public enum GenericNetlink {
    public static let controllerFamily: UInt16 = 0x10  // GENL_ID_CTRL
    public static let getFamily: UInt8 = 3  // CTRL_CMD_GETFAMILY
    public static let newFamily: UInt8 = 1  // CTRL_CMD_NEWFAMILY
    static let attributeFamilyID: UInt16 = 1
    static let attributeFamilyName: UInt16 = 2
    public static let attributeFamilyNameForRequest: UInt16 = 2
    static let attributeMulticastGroups: UInt16 = 7
    static let attributeGroupName: UInt16 = 1
    static let attributeGroupID: UInt16 = 2
    public static let headerLength = 4

    /// A family as the controller describes it: its message type and its multicast groups.
    public struct Family: Equatable, Sendable {
        public var id: UInt16
        public var name: String
        public var multicastGroups: [String: UInt32]
    }

    /// Parses the controller's answer to CTRL_CMD_GETFAMILY; nil for anything else.
    public static func family(from message: Netlink.Message) -> Family? {
        guard message.type == controllerFamily, message.payload.count >= headerLength,
              message.payload[0] == newFamily else { return nil }
        var id: UInt16?
        var name: String?
        var groups: [String: UInt32] = [:]
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: message.payload[headerLength...])) { type, value in
            switch type {
            case attributeFamilyID where value.count >= 2: id = value.loadUnaligned(as: UInt16.self)
            case attributeFamilyName: name = cString(value)
            case attributeMulticastGroups:
                Netlink.forEachAttribute(in: value) { _, group in
                    var groupName: String?
                    var groupID: UInt32?
                    Netlink.forEachAttribute(in: group) { type, field in
                        if type == attributeGroupName { groupName = cString(field) }
                        if type == attributeGroupID, field.count >= 4 { groupID = field.loadUnaligned(as: UInt32.self) }
                    }
                    if let groupName, let groupID { groups[groupName] = groupID }
                }
            default: break
            }
        }
        guard let id, let name else { return nil }
        return Family(id: id, name: name, multicastGroups: groups)
    }

    /// A NUL-terminated string attribute, up to its first NUL (or its end).
    static func cString(_ bytes: UnsafeRawBufferPointer) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }

    /// The payload of a request: the generic header, then `attributes` (type, value) padded.
    public static func request(command: UInt8, attributes: [(UInt16, [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = [command, 1, 0, 0]
        for (type, value) in attributes {
            let length = 4 + value.count
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(type & 0xFF), UInt8(type >> 8)] + value
            bytes += [UInt8](repeating: 0, count: Netlink.align(length) - length)
        }
        return bytes
    }
}

/// A Wi-Fi station that associated to, or left, an access point interface of this router
/// (nl80211 NEW_STATION / DEL_STATION, sent by mac80211 for hostapd's and the kernel's own AP).
public struct StationEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case associated, left }
    public var kind: Kind
    public var interfaceIndex: Int32
    public var mac: MACAddress

    public init(kind: Kind, interfaceIndex: Int32, mac: MACAddress) {
        self.kind = kind
        self.interfaceIndex = interfaceIndex
        self.mac = mac
    }

    public static let nl80211Name = "nl80211"
    public static let mlmeGroup = "mlme"
    static let commandNewStation: UInt8 = 19
    static let commandDeleteStation: UInt8 = 20
    static let attributeInterfaceIndex: UInt16 = 3
    static let attributeMAC: UInt16 = 6

    /// Parses an nl80211 station event of the family whose message type is `family`; nil for
    /// other messages, and for events without an interface or a unicast MAC.
    public static func parse(_ message: Netlink.Message, family: UInt16) -> StationEvent? {
        guard message.type == family, message.payload.count >= GenericNetlink.headerLength else { return nil }
        let kind: Kind
        switch message.payload[0] {
        case commandNewStation: kind = .associated
        case commandDeleteStation: kind = .left
        default: return nil
        }
        var index: Int32?
        var mac: MACAddress?
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: message.payload[GenericNetlink.headerLength...])) { type, value in
            if type == attributeInterfaceIndex, value.count >= 4 { index = value.loadUnaligned(as: Int32.self) }
            if type == attributeMAC, value.count == 6 { mac = MACAddress(value, at: 0) }
        }
        guard let index, let mac, mac.isUnicast else { return nil }
        return StationEvent(kind: kind, interfaceIndex: index, mac: mac)
    }
}
