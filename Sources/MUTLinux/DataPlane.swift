#if canImport(Glibc)
import Glibc
#endif
import Atomics
import CMutLinux
import MUTCore
import Synchronization

extension ForwardingTable: AtomicReference {}

/// The published table snapshot: the control plane stores a new one, data-plane threads load the
/// current one once per batch. No lock anywhere (read-copy-update through an atomic reference).
public final class TableCell: Sendable {
    private let current: ManagedAtomic<ForwardingTable>

    public init(_ table: ForwardingTable) { current = ManagedAtomic(table) }

    @inline(__always)
    public func load() -> ForwardingTable { current.load(ordering: .acquiring) }

    public func publish(_ table: ForwardingTable) { current.store(table, ordering: .releasing) }
}

public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .relaxed) }
    public var isStopped: Bool { flag.load(ordering: .relaxed) }
}

/// One data-plane thread's work: NFQUEUE batch in → fan-out decision per packet → copies out
/// through one `sendmmsg` per interface → batch verdicts. Owns its queue and its senders; shares
/// only the table cell, the counters and the stop flag.
public final class DataPlane: @unchecked Sendable {
    private let queue: NetfilterQueue
    private let senders: [PacketSender]
    private let table: TableCell
    private let counters: DataPlaneCounters
    private let stopFlag: StopFlag
    public private(set) var lastError: SystemError?

    public init(queue: NetfilterQueue, senders: [PacketSender], table: TableCell, counters: DataPlaneCounters, stopFlag: StopFlag) {
        self.queue = queue
        self.senders = senders
        self.table = table
        self.counters = counters
        self.stopFlag = stopFlag
    }

    public var queueNumber: UInt16 { queue.queue }

    /// Runs until the stop flag is set (checked at least every receive timeout), then unbinds.
    public func run() {
        while !stopFlag.isStopped {
            do {
                guard let count = try queue.receiveBatch(), count > 0 else { continue }
                processBatch(count)
            } catch {
                lastError = error
                break
            }
        }
        queue.unbind()
    }

    private func processBatch(_ count: Int) {
        let snapshot = table.load()
        counters.batches.wrappingAdd(1, ordering: .relaxed)
        var runAccept = false
        var runLastID: UInt32 = 0
        var haveRun = false
        for index in 0..<count {
            guard let packet = queue.packet(at: index) else { continue }
            let accept = decide(packet, snapshot)
            if haveRun && accept != runAccept {
                queue.addBatchVerdict(upTo: runLastID, accept: runAccept)
            }
            haveRun = true
            runAccept = accept
            runLastID = packet.id
        }
        // Copies first, then the verdicts that drop their originals.
        var sent = 0
        var failed = 0
        for sender in senders where sender.pending > 0 {
            let result = sender.flush()
            sent += result.sent
            failed += result.failed
        }
        if sent > 0 { counters.copies.wrappingAdd(UInt64(sent), ordering: .relaxed) }
        if failed > 0 { counters.sendErrors.wrappingAdd(UInt64(failed), ordering: .relaxed) }
        if haveRun { queue.addBatchVerdict(upTo: runLastID, accept: runAccept) }
        if !queue.flushVerdicts() { counters.verdictErrors.wrappingAdd(1, ordering: .relaxed) }
    }

    /// Returns true to ACCEPT the original, false to DROP it (its copies are queued on the senders).
    @inline(__always)
    private func decide(_ packet: QueuedPacket, _ snapshot: ForwardingTable) -> Bool {
        counters.packets.wrappingAdd(1, ordering: .relaxed)
        counters.bytes.wrappingAdd(UInt64(packet.payload.count), ordering: .relaxed)
        guard let summary = IPSummary.parse(packet.payload) else {
            counters.countPassed(.malformed)
            return true
        }
        let (verdict, route) = snapshot.decide(interfaceIndex: packet.outputInterface, physicalOutput: packet.physicalOutputInterface,
                                              source: summary.source, destination: summary.destination)
        if let route {
            route.counters.packets.wrappingAdd(1, ordering: .relaxed)
            route.counters.bytes.wrappingAdd(UInt64(packet.payload.count), ordering: .relaxed)
            route.counters.lastSource.store(summary.source)
        }
        switch verdict {
        case .pass(let reason):
            counters.countPassed(reason)
            route?.counters.passed.wrappingAdd(1, ordering: .relaxed)
            return true
        case .translate:
            guard let route, let sender = sender(for: route.interface.index) else {
                counters.countPassed(.noMembers)
                return true
            }
            // Only the IP packet itself is sent: any bytes the queue appended beyond it are not.
            let ipPacket = UnsafeRawBufferPointer(rebasing: packet.payload[0..<summary.totalLength])
            var copies: UInt64 = 0
            for (memberIndex, member) in route.members.enumerated() where member.filter.admits(summary.source) {
                if sender.isFull { flushEarly(sender) }
                sender.append(header: route.header(at: memberIndex), headerLength: route.headerLength(at: memberIndex),
                              packet: ipPacket, owner: member.counters)
                copies += 1
            }
            route.counters.copies.wrappingAdd(copies, ordering: .relaxed)
            counters.dropped.wrappingAdd(1, ordering: .relaxed)
            return false
        }
    }

    private func flushEarly(_ sender: PacketSender) {
        let result = sender.flush()
        if result.sent > 0 { counters.copies.wrappingAdd(UInt64(result.sent), ordering: .relaxed) }
        if result.failed > 0 { counters.sendErrors.wrappingAdd(UInt64(result.failed), ordering: .relaxed) }
    }

    @inline(__always)
    private func sender(for interfaceIndex: Int32) -> PacketSender? {
        for sender in senders where sender.interface.index == interfaceIndex { return sender }
        return nil
    }
}

/// A detached POSIX thread running `body`; joinable.
public final class DaemonThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let name: String
    private let body: @Sendable () -> Void

    public init(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        self.name = name
        self.body = body
        let unmanaged = Unmanaged.passRetained(self)
        let result = pthread_create(&thread, nil, { context in
            let me = Unmanaged<DaemonThread>.fromOpaque(context!).takeRetainedValue()
            _ = cmut_set_thread_name(me.name)
            me.body()
            return nil
        }, unmanaged.toOpaque())
        if result != 0 {
            unmanaged.release()
            throw SystemError("pthread_create", errno: result)
        }
    }

    public func join() { pthread_join(thread, nil) }
}
