#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import MUTCore

/// An AF_PACKET socket on one LAN interface that receives only IGMP and MLD frames: the classic
/// BPF filter is attached before the socket is bound, so nothing unfiltered is ever queued on
/// it; it asks for all-multicast so reports to any group reach it; frames the router sent
/// itself are marked as such. Non-blocking, read from the daemon's poll loop.
public final class IGMPSnooper {
    public let interface: InterfaceInfo
    public let fd: Int32
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)

    /// IPv4 with IP protocol 2 (IGMP), or IPv6 whose first extension header is hop-by-hop (0)
    /// followed by ICMPv6 (58): the shape of every MLD message (RFC 3810 5: router alert in a
    /// hop-by-hop header); the MLD parser checks the rest. Untagged or behind one 802.1Q tag still
    /// in the frame: accept the whole frame, else drop. (The kernel usually takes the tag out of
    /// the frame into the packet's metadata before AF_PACKET sees it; a tag left in place, as with
    /// stacked tags or some drivers, is matched here too.) A load past the frame's end drops it.
    static let filter: [sock_filter] = [
        sock_filter(code: UInt16(BPF_LD | BPF_H | BPF_ABS), jt: 0, jf: 0, k: 12),                    // 0
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 2, k: UInt32(ETH_P_IP)),       // 1 -> 2 | 4
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 23),                    // 2
        sock_filter(code: UInt16(BPF_JMP | BPF_JA), jt: 0, jf: 0, k: 15),                             // 3 -> 19
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 4, k: UInt32(ETH_P_IPV6)),     // 4 -> 5 | 9
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 20),                    // 5
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 14, k: 0),                    // 6 -> 7 | 21
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 54),                    // 7
        sock_filter(code: UInt16(BPF_JMP | BPF_JA), jt: 0, jf: 0, k: 9),                              // 8 -> 18
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 11, k: UInt32(ETH_P_8021Q)),  // 9 -> 10 | 21
        sock_filter(code: UInt16(BPF_LD | BPF_H | BPF_ABS), jt: 0, jf: 0, k: 16),                    // 10
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 2, k: UInt32(ETH_P_IP)),       // 11 -> 12 | 14
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 27),                    // 12
        sock_filter(code: UInt16(BPF_JMP | BPF_JA), jt: 0, jf: 0, k: 5),                              // 13 -> 19
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 6, k: UInt32(ETH_P_IPV6)),     // 14 -> 15 | 21
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 24),                    // 15
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 4, k: 0),                     // 16 -> 17 | 21
        sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 58),                    // 17
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 1, jf: 2, k: 58),                    // 18 -> 20 | 21
        sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 1, k: 2),                     // 19 -> 20 | 21
        sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0xFFFF),                          // 20
        sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0),                               // 21
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
