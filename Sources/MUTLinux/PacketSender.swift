#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import MUTCore

/// An AF_PACKET socket bound to one LAN interface that sends prebuilt Ethernet frames, many per
/// `sendmmsg`. Each frame is two iovecs: the Ethernet header, 14 bytes or 18 with a VLAN tag
/// (owned by the table snapshot), and the IP packet (owned by the queue's receive buffer). Owned
/// by one data-plane thread.
public final class PacketSender {
    public let interface: InterfaceInfo
    public let fd: Int32
    public let capacity: Int
    private let messages: UnsafeMutablePointer<cmut_mmsghdr>
    private let vectors: UnsafeMutablePointer<iovec>
    /// The member each pending frame is for, to count its copy or its error after the send.
    private let owners: UnsafeMutablePointer<Unmanaged<MemberCounters>>
    public private(set) var pending = 0

    public init(interface: InterfaceInfo, capacity: Int = 1024) throws(SystemError) {
        self.interface = interface
        self.capacity = capacity
        // Protocol 0: this socket only sends, so the kernel never queues received frames on it.
        fd = try Syscall.socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)
        let socketFD = fd
        do {
            try Syscall.bindPacket(socketFD, interfaceIndex: interface.index, protocol: 0)
        } catch {
            Syscall.close(socketFD)
            throw error
        }
        // Frames go straight to the driver, skipping the qdisc layer (and its lock): the copies
        // are already paced by the multicast that arrives. Kernels without the option keep the
        // qdisc path, which works the same, only slower.
        try? Syscall.setsockopt(socketFD, Int32(SOL_PACKET), Int32(PACKET_QDISC_BYPASS), Int32(1))
        messages = .allocate(capacity: capacity)
        vectors = .allocate(capacity: capacity * 2)
        owners = .allocate(capacity: capacity)
        for i in 0..<capacity {
            messages[i] = cmut_mmsghdr()
            messages[i].msg_hdr.msg_iov = vectors + 2 * i
            messages[i].msg_hdr.msg_iovlen = 2
        }
    }

    deinit {
        Syscall.close(fd)
        messages.deallocate()
        vectors.deallocate()
        owners.deallocate()
    }

    public var isFull: Bool { pending == capacity }

    /// Queues one frame; the caller flushes first when `isFull`.
    @inline(__always)
    public func append(header: UnsafeRawPointer, headerLength: Int = Ethernet.headerLength, packet: UnsafeRawBufferPointer,
                       owner: MemberCounters) {
        let i = pending
        vectors[2 * i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: header), iov_len: headerLength)
        vectors[2 * i + 1] = iovec(iov_base: UnsafeMutableRawPointer(mutating: packet.baseAddress), iov_len: packet.count)
        owners[i] = Unmanaged.passUnretained(owner)
        pending = i + 1
    }

    /// Sends every pending frame; returns (sent, failed) and counts each on its member.
    /// A frame the kernel refuses is skipped and counted, and the rest still go out.
    @discardableResult
    public func flush() -> (sent: Int, failed: Int) {
        var offset = 0
        var failed = 0
        while offset < pending {
            do {
                let sent = try Syscall.sendmmsg(fd, messages + offset, pending - offset)
                for i in offset..<offset + sent {
                    owners[i].takeUnretainedValue().copies.wrappingAdd(1, ordering: .relaxed)
                }
                offset += sent
                if sent == 0 { break }
            } catch {
                owners[offset].takeUnretainedValue().sendErrors.wrappingAdd(1, ordering: .relaxed)
                failed += 1
                offset += 1
            }
        }
        let sent = pending - failed
        pending = 0
        return (sent, failed)
    }
}
