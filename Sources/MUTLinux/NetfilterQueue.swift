#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import CNetfilterQueue
import MUTCore

/// Why a queue could not be bound, in words an operator can act on.
public enum QueueBindError: Error, CustomStringConvertible {
    case permission(queue: UInt16)
    case alreadyBound(queue: UInt16)
    case noKernelSupport(queue: UInt16, detail: String)
    case other(queue: UInt16, SystemError)

    public var description: String {
        switch self {
        case .permission(let q):
            return "cannot bind NFQUEUE \(q): permission denied (mutd needs CAP_NET_ADMIN: run it as root)"
        case .alreadyBound(let q):
            return "cannot bind NFQUEUE \(q): already bound by another process (is another mutd or NFQUEUE reader running?)"
        case .noKernelSupport(let q, let detail):
            return "cannot bind NFQUEUE \(q): the kernel lacks NFQUEUE support (nfnetlink_queue): \(detail)"
        case .other(let q, let error):
            return "cannot bind NFQUEUE \(q): \(error)"
        }
    }

    static func classify(_ error: SystemError, queue: UInt16) -> QueueBindError {
        switch error.errno {
        case EPERM, EACCES:
            // The kernel answers EPERM both to a process without CAP_NET_ADMIN and when another
            // socket holds the queue: the queue's presence in /proc tells the two apart.
            if let text = Syscall.readTextFile("/proc/net/netfilter/nfnetlink_queue"),
               QueueStatistics.parse(text).contains(where: { $0.queue == queue }) {
                return .alreadyBound(queue: queue)
            }
            return .permission(queue: queue)
        case EBUSY: return .alreadyBound(queue: queue)
        case EOPNOTSUPP, EPROTONOSUPPORT, ENOENT, EAFNOSUPPORT: return .noKernelSupport(queue: queue, detail: error.description)
        default: return .other(queue: queue, error)
        }
    }
}

/// One received queue message: the packet id, the outgoing interface and the IP packet bytes,
/// which point into the queue's receive buffers and stay valid until the next `receiveBatch`.
public struct QueuedPacket {
    public var id: UInt32
    public var outputInterface: Int32
    /// The bridge port a bridged packet leaves by (br_netfilter or the bridge family); 0 otherwise.
    public var physicalOutputInterface: Int32 = 0
    public var payload: UnsafeRawBufferPointer
}

/// An NFQUEUE queue bound over libmnl + libnetfilter_queue's mnl API. Owned by one data-plane
/// thread: not thread-safe, and it need not be.
public final class NetfilterQueue {
    public let queue: UInt16
    private let socket: OpaquePointer
    public let fd: Int32
    private let portID: UInt32
    private var sequence: UInt32 = 1

    public static let messageBufferSize = 16 * 1024
    public let batchCapacity: Int
    private let receiveBuffers: UnsafeMutableRawPointer
    private let receiveVectors: UnsafeMutablePointer<iovec>
    private let receiveMessages: UnsafeMutablePointer<cmut_mmsghdr>
    private let attributes: UnsafeMutablePointer<UnsafeMutablePointer<nlattr>?>
    private let attributeCount = Int(__NFQA_MAX.rawValue)
    private let sendBuffer: UnsafeMutableRawPointer
    private static let sendBufferSize = 64 * 1024
    private var sendLength = 0

    /// Binds `queue`: copies whole packets, fail-open when the queue is full, bounded length,
    /// large receive buffer without ENOBUFS reports (kernel drops are read from /proc instead).
    public init(queue: UInt16, maxLength: UInt32 = 8192, batchCapacity: Int = 16,
                receiveBufferBytes: Int32 = 64 << 20) throws(QueueBindError) {
        self.queue = queue
        self.batchCapacity = batchCapacity
        guard let socket = mnl_socket_open(NETLINK_NETFILTER) else {
            throw QueueBindError.classify(SystemError("mnl_socket_open", errno: errno), queue: queue)
        }
        self.socket = socket
        fd = mnl_socket_get_fd(socket)
        receiveBuffers = .allocate(byteCount: batchCapacity * Self.messageBufferSize, alignment: 16)
        receiveVectors = .allocate(capacity: batchCapacity)
        receiveMessages = .allocate(capacity: batchCapacity)
        attributes = .allocate(capacity: attributeCount)
        sendBuffer = .allocate(byteCount: Self.sendBufferSize, alignment: 16)
        for i in 0..<batchCapacity {
            receiveVectors[i] = iovec(iov_base: receiveBuffers + i * Self.messageBufferSize, iov_len: Self.messageBufferSize)
            receiveMessages[i] = cmut_mmsghdr()
            receiveMessages[i].msg_hdr.msg_iov = receiveVectors + i
            receiveMessages[i].msg_hdr.msg_iovlen = 1
        }
        if mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
            let error = SystemError("mnl_socket_bind", errno: errno)
            portID = 0
            release()
            throw QueueBindError.classify(error, queue: queue)
        }
        portID = mnl_socket_get_portid(socket)
        do {
            // SO_RCVBUFFORCE needs CAP_NET_ADMIN; fall back to SO_RCVBUF when it is refused.
            do { try Syscall.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, receiveBufferBytes) }
            catch { try Syscall.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, receiveBufferBytes) }
            try Syscall.setsockopt(fd, Int32(SOL_NETLINK), Int32(NETLINK_NO_ENOBUFS), Int32(1))
            let timeout = timeval(tv_sec: 0, tv_usec: 200_000)  // lets the thread notice a stop request
            try Syscall.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout)

            try configure { nlh in
                nfq_nlmsg_cfg_put_cmd(nlh, UInt16(AF_INET), UInt8(NFQNL_CFG_CMD_BIND.rawValue))
            }
            try configure { nlh in
                nfq_nlmsg_cfg_put_params(nlh, UInt8(NFQNL_COPY_PACKET.rawValue), 0xFFFF)
                mnl_attr_put_u32(nlh, UInt16(NFQA_CFG_FLAGS.rawValue), UInt32(NFQA_CFG_F_FAIL_OPEN).bigEndian)
                mnl_attr_put_u32(nlh, UInt16(NFQA_CFG_MASK.rawValue), UInt32(NFQA_CFG_F_FAIL_OPEN).bigEndian)
            }
            try configure { nlh in nfq_nlmsg_cfg_put_qmaxlen(nlh, maxLength) }
        } catch {
            release()
            throw QueueBindError.classify(error, queue: queue)
        }
    }

    deinit { release() }

    private var released = false
    private func release() {
        guard !released else { return }
        released = true
        mnl_socket_close(socket)
        receiveBuffers.deallocate()
        receiveVectors.deallocate()
        receiveMessages.deallocate()
        attributes.deallocate()
        sendBuffer.deallocate()
    }

    /// Tells the kernel to stop queueing to us (packets then bypass, as the rule says).
    public func unbind() {
        try? configure(expectAck: false) { nlh in
            nfq_nlmsg_cfg_put_cmd(nlh, UInt16(AF_INET), UInt8(NFQNL_CFG_CMD_UNBIND.rawValue))
        }
    }

    /// Sends one config message with NLM_F_ACK and waits for the kernel's answer.
    private func configure(expectAck: Bool = true, _ fill: (UnsafeMutablePointer<nlmsghdr>) -> Void) throws(SystemError) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 16)
        defer { buffer.deallocate() }
        let nlh = nfq_nlmsg_put(buffer.assumingMemoryBound(to: CChar.self), Int32(NFQNL_MSG_CONFIG.rawValue), UInt32(queue))!
        let seq = sequence
        sequence &+= 1
        nlh.pointee.nlmsg_seq = seq
        if expectAck { nlh.pointee.nlmsg_flags |= UInt16(NLM_F_ACK) }
        fill(nlh)
        if mnl_socket_sendto(socket, nlh, Int(nlh.pointee.nlmsg_len)) < 0 {
            throw SystemError("mnl_socket_sendto", errno: errno)
        }
        guard expectAck else { return }
        while true {
            let n = mnl_socket_recvfrom(socket, buffer, 8192)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw SystemError("netlink ack", errno: errno)
            }
            let result = mnl_cb_run(buffer, n, seq, portID, nil, nil)
            if result < 0 { throw SystemError("NFQUEUE config", errno: errno) }
            if result == MNL_CB_STOP || result == MNL_CB_OK { return }
        }
    }

    /// Waits (at most the receive timeout) for queued packets and returns how many messages were
    /// read; `packet(at:)` then decodes each. Nil on timeout.
    public func receiveBatch() throws(SystemError) -> Int? {
        for i in 0..<batchCapacity { receiveMessages[i].msg_len = 0 }
        while true {
            do {
                return try Syscall.recvmmsg(fd, receiveMessages, batchCapacity, flags: Int32(MSG_WAITFORONE), callName: "recvmmsg(NFQUEUE)")
            } catch where error.errno == ENOBUFS {
                continue  // counted by the kernel; /proc shows it
            }
        }
    }

    /// Decodes message `index` of the last batch: nil for anything that is not a queued packet
    /// (acks, errors, truncated messages).
    public func packet(at index: Int) -> QueuedPacket? {
        let length = Int(receiveMessages[index].msg_len)
        let message = UnsafeRawPointer(receiveBuffers + index * Self.messageBufferSize)
        guard length >= MemoryLayout<nlmsghdr>.size else { return nil }
        let nlh = message.assumingMemoryBound(to: nlmsghdr.self)
        guard mnl_nlmsg_ok(nlh, Int32(length)),
              nlh.pointee.nlmsg_type == UInt16(NFNL_SUBSYS_QUEUE << 8) | UInt16(NFQNL_MSG_PACKET.rawValue)
        else { return nil }
        attributes.update(repeating: nil, count: attributeCount)
        guard nfq_nlmsg_parse(nlh, attributes) >= 0,
              let header = attributes[Int(NFQA_PACKET_HDR.rawValue)] else { return nil }
        let id = UInt32(bigEndian: mnl_attr_get_payload(header).loadUnaligned(as: UInt32.self))
        var outputInterface: Int32 = 0
        if let out = attributes[Int(NFQA_IFINDEX_OUTDEV.rawValue)] {
            outputInterface = Int32(bitPattern: UInt32(bigEndian: mnl_attr_get_u32(out)))
        }
        var physicalOutput: Int32 = 0
        if let out = attributes[Int(NFQA_IFINDEX_PHYSOUTDEV.rawValue)] {
            physicalOutput = Int32(bitPattern: UInt32(bigEndian: mnl_attr_get_u32(out)))
        }
        var payload = UnsafeRawBufferPointer(start: nil, count: 0)
        if let data = attributes[Int(NFQA_PAYLOAD.rawValue)] {
            payload = UnsafeRawBufferPointer(start: mnl_attr_get_payload(data), count: Int(mnl_attr_get_payload_len(data)))
        }
        return QueuedPacket(id: id, outputInterface: outputInterface, physicalOutputInterface: physicalOutput, payload: payload)
    }

    /// Appends a batch verdict (every packet with id ≤ `id` still queued gets `accept`/drop) to the
    /// pending verdict buffer; `flushVerdicts` sends them all in one write.
    public func addBatchVerdict(upTo id: UInt32, accept: Bool) {
        if sendLength + 64 > Self.sendBufferSize { flushVerdicts() }
        let nlh = nfq_nlmsg_put((sendBuffer + sendLength).assumingMemoryBound(to: CChar.self),
                                Int32(NFQNL_MSG_VERDICT_BATCH.rawValue), UInt32(queue))!
        nfq_nlmsg_verdict_put(nlh, Int32(bitPattern: id), Int32(accept ? NF_ACCEPT : NF_DROP))
        sendLength += Int(nlh.pointee.nlmsg_len + 3) & ~3
    }

    /// Sends the pending verdicts; returns false when the kernel refused the write.
    @discardableResult
    public func flushVerdicts() -> Bool {
        guard sendLength > 0 else { return true }
        defer { sendLength = 0 }
        return mnl_socket_sendto(socket, sendBuffer, sendLength) >= 0
    }
}
