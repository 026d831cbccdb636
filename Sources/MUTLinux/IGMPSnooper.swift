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

    /// IPv4 and IP protocol 2 (IGMP), untagged or behind one 802.1Q tag still in the frame:
    /// accept the whole frame, else drop. (The kernel usually takes the tag out of the frame into
    /// the packet's metadata before AF_PACKET sees it; a tag left in place, as with stacked tags
    /// or some drivers, is matched here too.)
    static let filter: [sock_filter] = [
        sock_filter(code: UInt16(BPF_LD | BPF_H | BPF_ABS), jt: 0, jf: 0, k: 12),               // 0
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 2, k: UInt32(ETH_P_IP)),  // 1 -> 2 | 4
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 23),               // 2
        sock_filter(code: UInt16(BPF_JMP | BPF_JA), jt: 0, jf: 0, k: 4),                         // 3 -> 8
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 5, k: UInt32(ETH_P_8021Q)), // 4 -> 5 | 10
        sock_filter(code: UInt16(BPF_LD | BPF_H | BPF_ABS), jt: 0, jf: 0, k: 16),               // 5
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 3, k: UInt32(ETH_P_IP)),  // 6 -> 7 | 10
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 27),               // 7
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 1, k: 2),                // 8 -> 9 | 10
        sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0xFFFF),                     // 9
        sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0),                          // 10
    ]

    /// `bridgePort`: the interface is a bridge port, watched to learn which hosts sit behind it.
    /// Then the socket takes every protocol (ETH_P_ALL), since a bridge port hands frames of
    /// specific protocols to the bridge, not to sockets bound to the port.
    public init(interface: InterfaceInfo, bridgePort: Bool = false) throws(SystemError) {
        self.interface = interface
        // Protocol 0 until bound: the socket receives nothing before its filter is in place.
        fd = try Syscall.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        do {
            try Syscall.attachFilter(fd, Self.filter)
            // The VLAN tag the kernel took out of a frame comes with it (PACKET_AUXDATA).
            try Syscall.setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, Int32(1), callName: "setsockopt(PACKET_AUXDATA)")
            if bridgePort {
                // A port tap needs only what the port receives: without this it would get a clone
                // of every frame sent out of the port, mutd's own copies included (kernels before
                // 4.20 lack the option).
                try? Syscall.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, Int32(1))
            }
            // ETH_P_ALL, not ETH_P_IP: the kernel shows frames this host sends only to
            // all-protocol sockets, and the router's own querier (igmpproxy's raw socket) is
            // such a frame. The price on a served interface: each frame sent on it is cloned for
            // the filter to look at (see docs/architecture.md).
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
    /// this socket itself sends is never looped back to it) and the 802.1Q tag control
    /// information (priority, DEI, VLAN ID) the kernel took out of the frame, nil when it carried
    /// none. The bytes are only valid inside the call.
    public func readFrames(limit: Int = 256, _ body: (UnsafeRawBufferPointer, _ outgoing: Bool, _ tagControl: UInt16?) -> Void) throws(SystemError) {
        for _ in 0..<limit {
            var packetType: UInt8 = 0
            var tci: Int32 = -1
            let length = cmut_receive_packet(fd, buffer.baseAddress, buffer.count, &packetType, &tci)
            if length < 0 { throw SystemError("recvmsg(AF_PACKET)", errno: Glibc.errno) }
            if length == 0 { return }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<min(length, buffer.count)]), packetType == UInt8(PACKET_OUTGOING),
                 tci < 0 ? nil : UInt16(truncatingIfNeeded: tci))
        }
    }
}
