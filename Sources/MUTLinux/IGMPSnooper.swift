#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import MUTCore

/// An AF_PACKET socket on one LAN interface that receives only IPv4 IGMP frames: the classic
/// BPF filter is attached before the socket is bound, so nothing unfiltered is ever queued on
/// it; it asks for all-multicast so reports to any group reach it; frames the router sent
/// itself are marked as such. Non-blocking, read from the daemon's poll loop.
public final class IGMPSnooper {
    public let interface: InterfaceInfo
    public let fd: Int32
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    /// ether type == IPv4 and IP protocol == 2 (IGMP): accept the whole frame, else drop.
    static let filter: [sock_filter] = [
        sock_filter(code: UInt16(BPF_LD | BPF_H | BPF_ABS), jt: 0, jf: 0, k: 12),
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 3, k: UInt32(ETH_P_IP)),
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 23),
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 1, k: 2),
        sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0xFFFF),
        sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0),
    ]

    public init(interface: InterfaceInfo) throws(SystemError) {
        self.interface = interface
        // Protocol 0 until bound: the socket receives nothing before its filter is in place.
        fd = try Syscall.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        do {
            try Syscall.attachFilter(fd, Self.filter)
            // ETH_P_ALL, not ETH_P_IP: the kernel shows frames this host sends only to
            // all-protocol sockets, and the router's own querier (igmpproxy's raw socket) is
            // such a frame. The price: each frame sent on the interface is cloned for the
            // filter to look at (see docs/architecture.md).
            try Syscall.bindPacket(fd, interfaceIndex: interface.index, protocol: UInt16(ETH_P_ALL))
            var membership = packet_mreq()
            membership.mr_ifindex = interface.index
            membership.mr_type = UInt16(PACKET_MR_ALLMULTI)
            try Syscall.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, membership, callName: "setsockopt(PACKET_ADD_MEMBERSHIP)")
        } catch {
            Syscall.close(fd)
            buffer.deallocate()
            throw error
        }
    }

    deinit {
        Syscall.close(fd)
        buffer.deallocate()
    }

    /// Sends one whole Ethernet frame (a query) out of this interface.
    public func send(frame: [UInt8]) throws(SystemError) {
        // A full socket buffer drops this query; the next one goes out on time.
        guard try Syscall.send(fd, frame, from: 0) != nil else { throw SystemError("send", errno: EAGAIN) }
    }

    /// Reads every pending frame (at most `limit`) and passes each to `body` with whether this
    /// host sent it (`PACKET_OUTGOING`: igmpproxy's or the bridge's queries are such frames; what
    /// this socket itself sends is never looped back to it). The bytes are only valid inside the call.
    public func readFrames(limit: Int = 256, _ body: (UnsafeRawBufferPointer, _ outgoing: Bool) -> Void) throws(SystemError) {
        for _ in 0..<limit {
            guard let (length, packetType) = try Syscall.receivePacket(fd, buffer) else { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<min(length, buffer.count)]), packetType == UInt8(PACKET_OUTGOING))
        }
    }
}
