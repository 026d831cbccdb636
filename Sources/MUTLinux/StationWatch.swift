#if canImport(Glibc)
import Glibc
#endif
import CMutLinux
import MUTCore

/// A generic netlink socket subscribed to nl80211's `mlme` group: the station events of every
/// access point interface in this network namespace (hostapd's and the kernel's own AP mode
/// both produce them). Non-blocking; the daemon's poll loop calls `readEvents` when `fd` is
/// readable. `open()` gives nil where the kernel has no nl80211 (no Wi-Fi driver loaded).
public final class StationWatch {
    public let fd: Int32
    private let family: UInt16
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    private init(fd: Int32, family: UInt16) {
        self.fd = fd
        self.family = family
    }

    deinit {
        Syscall.close(fd)
        buffer.deallocate()
    }

    public enum OpenResult {
        case watching(StationWatch)
        /// The kernel answered that it has no nl80211 family, or no `mlme` group.
        case noNL80211
    }

    public static func open() throws(SystemError) -> OpenResult {
        let fd = try Syscall.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue), NETLINK_GENERIC)
        do throws(SystemError) {
            try Syscall.bindNetlink(fd, groups: 0)
            let found = try resolveNL80211(fd)
            guard let family = found, let group = family.multicastGroups[StationEvent.mlmeGroup] else {
                Syscall.close(fd)
                return .noNL80211
            }
            try Syscall.setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group, callName: "setsockopt(NETLINK_ADD_MEMBERSHIP mlme)")
            try? Syscall.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, Int32(1 << 20))
            return .watching(StationWatch(fd: fd, family: family.id))
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// Asks the generic netlink controller on `fd` (bound, non-blocking) for nl80211: its family
    /// id and multicast groups; nil where the kernel has none. Waits at most about a second.
    static func resolveNL80211(_ fd: Int32) throws(SystemError) -> GenericNetlink.Family? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        let name = Array(StationEvent.nl80211Name.utf8) + [0]
        let payload = GenericNetlink.request(command: GenericNetlink.getFamily,
                                             attributes: [(GenericNetlink.attributeFamilyNameForRequest, name)])
        let request = Netlink.request(type: GenericNetlink.controllerFamily, flags: UInt16(NLM_F_REQUEST), sequence: 1, payload: payload)
        guard try Syscall.send(fd, request, from: 0) != nil else { throw SystemError("send(CTRL_CMD_GETFAMILY)", errno: EAGAIN) }
        // The controller answers at once; bounded wait.
        var found: GenericNetlink.Family?
        var answered = false
        for _ in 0..<10 where !answered {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = try Syscall.poll(&poller, 1, timeoutMilliseconds: 100)
            guard let count = try Syscall.recv(fd, buffer), count > 0 else { continue }
            for message in Netlink.messages(in: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                if message.type == Netlink.typeError { answered = true }
                if let family = GenericNetlink.family(from: message) { found = family; answered = true }
            }
        }
        return found
    }

    /// Reads every pending datagram and returns the station events in them.
    public func readEvents() throws(SystemError) -> [StationEvent] {
        var events: [StationEvent] = []
        for _ in 0..<64 {
            guard let count = try Syscall.recv(fd, buffer), count > 0 else { break }
            for message in Netlink.messages(in: UnsafeRawBufferPointer(rebasing: buffer[0..<count])) {
                if let event = StationEvent.parse(message, family: family) { events.append(event) }
            }
        }
        return events
    }
}

extension StationWatch {
    /// The served interface an access point interface belongs to: itself, or the bridge it is
    /// a port of (`/sys/class/net/AP/master`); nil when mutd does not serve it.
    public static func servedInterface(apIndex: Int32, among served: [ServedInterface]) -> String? {
        if let direct = served.first(where: { $0.index == apIndex }) { return direct.name }
        guard let ap = Syscall.interfaceName(index: apIndex), let bridge = Syscall.bridgeMaster(of: ap) else { return nil }
        return served.first { $0.name == bridge }?.name
    }
}
