#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import MUTCore

/// An rtnetlink socket subscribed to neighbour events (IPv4 and IPv6): reads the kernel's neighbour table
/// (where client MACs come from) and asks the kernel to resolve addresses it does not know yet.
/// Non-blocking; the daemon's poll loop calls `readEvents` when `fd` is readable.
public final class NeighbourWatch {
    public let fd: Int32
    private var sequence: UInt32 = 1
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    public init() throws(SystemError) {
        fd = try Syscall.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue), NETLINK_ROUTE)
        do {
            try Syscall.bindNetlink(fd, groups: UInt32(RTMGRP_NEIGH))
        } catch {
            Syscall.close(fd)
            throw error
        }
        try? Syscall.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, Int32(1 << 20))
    }

    deinit {
        Syscall.close(fd)
        buffer.deallocate()
    }

    /// Asks for a dump of the neighbour tables of every family (one dump at a time per socket);
    /// the entries arrive through `readEvents`.
    public func requestDump() throws(SystemError) {
        var ndmsg = [UInt8](repeating: 0, count: 12)
        ndmsg[0] = UInt8(AF_UNSPEC)
        try sendRequest(type: Netlink.getNeighbour, flags: UInt16(NLM_F_REQUEST | NLM_F_DUMP), payload: ndmsg)
    }

    /// Makes the kernel resolve `address` on `interfaceIndex` (RTM_NEWNEIGH with NTF_USE, as
    /// `ip neigh replace ADDR dev IF use` does): an ARP request goes out, and the answer arrives
    /// as a neighbour event. Nothing is sent to the client but ARP (or an IPv6 neighbour
    /// solicitation).
    public func requestResolution(of address: IPAddress, interfaceIndex: Int32) throws(SystemError) {
        var payload = [UInt8](repeating: 0, count: 12)
        payload[0] = UInt8(address.isIPv6 ? AF_INET6 : AF_INET)
        withUnsafeBytes(of: interfaceIndex) { payload.replaceSubrange(4..<8, with: $0) }
        withUnsafeBytes(of: UInt16(NUD_PERMANENT)) { payload.replaceSubrange(8..<10, with: $0) }
        payload[10] = UInt8(NTF_USE)
        // NDA_DST attribute: length, type 1, the address in network order.
        switch address {
        case .v4(let v4):
            withUnsafeBytes(of: UInt16(8)) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt16(NDA_DST)) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: v4.value.bigEndian) { payload.append(contentsOf: $0) }
        case .v6(let v6):
            withUnsafeBytes(of: UInt16(20)) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt16(NDA_DST)) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: v6.high.bigEndian) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: v6.low.bigEndian) { payload.append(contentsOf: $0) }
        }
        try sendRequest(type: Netlink.newNeighbour,
                        flags: UInt16(NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE), payload: payload)
    }

    private func sendRequest(type: UInt16, flags: UInt16, payload: [UInt8]) throws(SystemError) {
        let message = Netlink.request(type: type, flags: flags, sequence: sequence, payload: payload)
        sequence &+= 1
        guard try Syscall.send(fd, message, from: 0) != nil else { throw SystemError("send", errno: EAGAIN) }
    }

    /// Reads every pending datagram and returns the neighbour events in them.
    public func readEvents() throws(SystemError) -> [NeighbourEvent] {
        var events: [NeighbourEvent] = []
        for _ in 0..<64 {
            guard let count = try Syscall.recv(fd, buffer), count > 0 else { break }
            for message in Netlink.messages(in: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                if let event = NeighbourEvent.parse(message) { events.append(event) }
            }
        }
        return events
    }
}
