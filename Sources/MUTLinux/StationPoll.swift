#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import MUTCore

/// Samples the radio link of every station of the access points mutd serves: every `interval`
/// seconds a round of nl80211 dumps on a generic netlink socket of its own (not the event
/// socket, whose NEW_STATION events look like dump answers): first the interfaces
/// (GET_INTERFACE, which of them are APs), then the stations of each AP the daemon serves
/// (GET_STATION), one dump at a time as netlink allows. Never blocks: `tick` sends, the poll
/// loop calls `readAnswers` when `fd` is readable; a dump that stays unanswered is abandoned.
public final class StationPoll {
    public let fd: Int32
    private let family: UInt16
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// One AP interface's complete sample: every station associated to it now.
    public struct Sample {
        public var apInterfaceIndex: Int32
        public var radios: [StationRadio]
    }

    private enum Step: Equatable { case interfaces, stations(Int32) }
    private var step: Step?
    private var stepSequence: UInt32 = 0
    private var stepStartedAt = 0.0
    private var sequence: UInt32 = 100
    private var accessPoints: [Int32] = []
    private var stationsToAsk: [Int32] = []
    private var radios: [StationRadio] = []
    /// APs sampled in the last round: one that vanished gets an empty sample, once.
    private var sampledAPs: Set<Int32> = []
    private var nextRoundAt = 0.0
    /// Which AP interfaces to sample (those mutd serves, or ports of a bridge it serves).
    private let isServed: (Int32) -> Bool

    /// A dump unanswered for this long is given up (the kernel answers within milliseconds).
    static let stepTimeout = 2.0
    /// Bound on the stations kept from one dump (a datagram-spewing driver cannot grow memory).
    static let maxStationsPerDump = ControlPlane.maxRadioSamples

    private init(fd: Int32, family: UInt16, isServed: @escaping (Int32) -> Bool) {
        self.fd = fd
        self.family = family
        self.isServed = isServed
    }

    deinit {
        Syscall.close(fd)
        buffer.deallocate()
    }

    /// nil where the kernel has no nl80211.
    public static func open(isServed: @escaping (Int32) -> Bool) throws(SystemError) -> StationPoll? {
        let fd = try Syscall.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue), NETLINK_GENERIC)
        do throws(SystemError) {
            try Syscall.bindNetlink(fd, groups: 0)
            guard let family = try StationWatch.resolveNL80211(fd) else {
                Syscall.close(fd)
                return nil
            }
            try? Syscall.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, Int32(1 << 20))
            return StationPoll(fd: fd, family: family.id, isServed: isServed)
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// Starts a round when one is due (`interval` > 0), and gives up a dump the kernel left
    /// unanswered. Returns the samples that ends (an abandoned dump samples no one).
    public func tick(now: Double, interval: Double) -> [Sample] {
        var finished: [Sample] = []
        if step != nil, now - stepStartedAt > Self.stepTimeout {
            finished += finishStep(now: now)
        }
        if step == nil, interval > 0, now >= nextRoundAt {
            nextRoundAt = now + interval
            accessPoints = []
            send(.interfaces, now: now)
        }
        return finished
    }

    /// Reads every pending answer; returns the AP samples completed by it.
    public func readAnswers(now: Double) throws(SystemError) -> [Sample] {
        var finished: [Sample] = []
        for _ in 0..<256 {
            guard let count = try Syscall.recv(fd, buffer), count > 0 else { break }
            for message in Netlink.messages(in: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                guard step != nil, message.sequence == stepSequence else { continue }  // a stale dump's tail
                if message.type == Netlink.typeDone || message.type == Netlink.typeError {
                    finished += finishStep(now: now)
                } else if step == .interfaces {
                    if let index = StationInfo.accessPointIndex(message, family: family), accessPoints.count < 256 {
                        accessPoints.append(index)
                    }
                } else if let radio = StationInfo.parse(message, family: family), radios.count < Self.maxStationsPerDump {
                    radios.append(radio)
                }
            }
        }
        return finished
    }

    /// Ends the current dump and sends the next of the round, if any.
    private func finishStep(now: Double) -> [Sample] {
        var finished: [Sample] = []
        switch step {
        case .interfaces:
            let served = accessPoints.filter(isServed)
            for gone in sampledAPs.subtracting(served) { finished.append(Sample(apInterfaceIndex: gone, radios: [])) }
            sampledAPs = Set(served)
            stationsToAsk = served
        case .stations(let index):
            finished.append(Sample(apInterfaceIndex: index, radios: radios.filter { $0.apInterfaceIndex == index }))
        case nil: break
        }
        step = nil
        radios = []
        if !stationsToAsk.isEmpty { send(.stations(stationsToAsk.removeFirst()), now: now) }
        return finished
    }

    /// The last request the kernel refused, until one goes through again (the daemon logs it).
    public private(set) var sendError: SystemError?

    private func send(_ next: Step, now: Double) {
        sequence &+= 1
        let request: [UInt8]
        switch next {
        case .interfaces: request = StationInfo.interfaceDumpRequest(family: family, sequence: sequence)
        case .stations(let index): request = StationInfo.stationDumpRequest(family: family, interfaceIndex: index, sequence: sequence)
        }
        step = next
        stepSequence = sequence
        stepStartedAt = now
        // A refused or would-block send leaves the step to time out and the next round to retry.
        do {
            _ = try Syscall.send(fd, request, from: 0)
            sendError = nil
        } catch { sendError = error }
    }
}
