/// Netlink framing (RFC 3549): a 16-byte header, then a payload, every message and attribute
/// padded to 4 bytes. Numbers are in host byte order. Pure parsing of what rtnetlink sends.
public enum Netlink {
    public static let headerLength = 16
    public static let typeError: UInt16 = 2
    public static let typeDone: UInt16 = 3
    public static let newNeighbour: UInt16 = 28  // RTM_NEWNEIGH
    public static let deleteNeighbour: UInt16 = 29  // RTM_DELNEIGH
    public static let getNeighbour: UInt16 = 30  // RTM_GETNEIGH

    @inline(__always) static func align(_ n: Int) -> Int { (n + 3) & ~3 }

    /// One request as the kernel reads it: the 16-byte header (length, type, flags, sequence,
    /// port 0), then `payload`.
    public static func request(type: UInt16, flags: UInt16, sequence: UInt32, payload: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(headerLength + payload.count)
        withUnsafeBytes(of: UInt32(headerLength + payload.count)) { message.append(contentsOf: $0) }
        withUnsafeBytes(of: type) { message.append(contentsOf: $0) }
        withUnsafeBytes(of: flags) { message.append(contentsOf: $0) }
        withUnsafeBytes(of: sequence) { message.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(0)) { message.append(contentsOf: $0) }
        return message + payload
    }

    /// One message of a datagram: its type and its payload bytes.
    public struct Message {
        public var type: UInt16
        public var flags: UInt16
        public var payload: UnsafeRawBufferPointer
        /// The request this answers (0 for the kernel's own notifications).
        public var sequence: UInt32 = 0
    }

    /// Splits a datagram into messages; stops at the first header that lies about its length.
    public static func messages(in datagram: UnsafeRawBufferPointer) -> [Message] {
        var result: [Message] = []
        var offset = 0
        while datagram.count - offset >= headerLength {
            let length = Int(datagram.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            guard length >= headerLength, length <= datagram.count - offset else { break }
            let type = datagram.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            let flags = datagram.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self)
            let sequence = datagram.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            result.append(Message(type: type, flags: flags,
                                  payload: UnsafeRawBufferPointer(rebasing: datagram[offset + headerLength..<offset + length]),
                                  sequence: sequence))
            offset += align(length)
        }
        return result
    }

    /// Walks the attributes of `bytes` (rtattr: length u16, type u16, value) calling `body`
    /// for each; stops at the first malformed one.
    public static func forEachAttribute(in bytes: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        var offset = 0
        while bytes.count - offset >= 4 {
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3FFF
            guard length >= 4, length <= bytes.count - offset else { return }
            body(type, UnsafeRawBufferPointer(rebasing: bytes[offset + 4..<offset + length]))
            offset += align(length)
        }
    }
}

/// A neighbour-table change for an IPv4 (ARP) or IPv6 (neighbour discovery) address: its MAC
/// when the kernel knows one.
public struct NeighbourEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case update, delete }
    public var kind: Kind
    public var interfaceIndex: Int32
    public var address: IPAddress
    public var mac: MACAddress?
    public var state: UInt16

    public static let stateIncomplete: UInt16 = 0x01
    public static let stateFailed: UInt16 = 0x20
    public static let stateNoARP: UInt16 = 0x40
    public static let statePermanent: UInt16 = 0x80

    public init(kind: Kind, interfaceIndex: Int32, address: IPAddress, mac: MACAddress?, state: UInt16) {
        self.kind = kind
        self.interfaceIndex = interfaceIndex
        self.address = address
        self.mac = mac
        self.state = state
    }

    public init(kind: Kind, interfaceIndex: Int32, address: IPv4Address, mac: MACAddress?, state: UInt16) {
        self.init(kind: kind, interfaceIndex: interfaceIndex, address: .v4(address), mac: mac, state: state)
    }

    /// True when the kernel gave up resolving the address: the host is unreachable.
    public var isFailed: Bool { state & Self.stateFailed != 0 }

    /// Parses an RTM_NEWNEIGH/RTM_DELNEIGH payload (struct ndmsg + attributes); nil for other
    /// families or messages without a destination of their family.
    public static func parse(_ message: Netlink.Message) -> NeighbourEvent? {
        let kind: Kind
        switch message.type {
        case Netlink.newNeighbour: kind = .update
        case Netlink.deleteNeighbour: kind = .delete
        default: return nil
        }
        let payload = message.payload
        guard payload.count >= 12, payload[0] == 2 /* AF_INET */ || payload[0] == 10 /* AF_INET6 */ else { return nil }
        let family = payload[0]
        let interfaceIndex = payload.loadUnaligned(fromByteOffset: 4, as: Int32.self)
        let state = payload.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
        var address: IPAddress?
        var mac: MACAddress?
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: payload[12...])) { type, value in
            switch type {
            case 1 /* NDA_DST */ where family == 2 && value.count == 4:
                address = .v4(IPv4Address(UInt32(value[0]) << 24 | UInt32(value[1]) << 16 | UInt32(value[2]) << 8 | UInt32(value[3])))
            case 1 /* NDA_DST */ where family == 10 && value.count == 16:
                address = .v6(IPv6Address(value, at: 0))
            case 2 /* NDA_LLADDR */ where value.count == 6:
                mac = MACAddress(value, at: 0)
            default: break
            }
        }
        guard let address else { return nil }
        return NeighbourEvent(kind: kind, interfaceIndex: interfaceIndex, address: address,
                              mac: mac.flatMap { $0.isUnicast ? $0 : nil }, state: state)
    }
}
