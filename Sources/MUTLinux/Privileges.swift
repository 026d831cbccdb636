#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMutLinux

/// Dropping root once every socket is open: mutd then runs as an ordinary user that keeps only
/// CAP_NET_ADMIN (NFQUEUE verdicts and netlink requests are checked against it on every
/// message) and CAP_NET_RAW (AF_PACKET sends). Capabilities are per thread, so this must run
/// before the data-plane threads are started; they inherit the reduced sets.
public enum Privileges {
    public static let capabilityNetAdmin = 12
    public static let capabilityNetRaw = 13
    /// The sets mutd keeps: 0x3000.
    public static let kept: UInt64 = 1 << UInt64(capabilityNetAdmin) | 1 << UInt64(capabilityNetRaw)

    public struct Account: Equatable, Sendable {
        public var name: String
        public var uid: uid_t
        public var gid: gid_t

        public init(name: String, uid: uid_t, gid: gid_t) {
            self.name = name
            self.uid = uid
            self.gid = gid
        }
    }

    /// A refusal, or a failed step (worded as `SystemError`).
    public struct DropError: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
        init(_ step: String, errno: Int32) { self.description = SystemError(step, errno: errno).description }
    }

    /// The user's uid and primary gid from the passwd database.
    public static func account(named name: String) throws(DropError) -> Account {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0 else { throw DropError("cannot look up user '\(name)'", errno: status) }
        guard result != nil else { throw DropError("no such user: '\(name)'") }
        return Account(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// Becomes `account` (uid, gid, no other groups) keeping exactly `kept` in the permitted and
    /// effective sets, nothing inheritable, the bounding set cut to `kept`, and no_new_privs;
    /// then checks the result and that root cannot be regained.
    public static func drop(to account: Account) throws(DropError) {
        guard getuid() == 0 || geteuid() == 0 else { throw DropError("--user needs mutd to start as root") }
        guard account.uid != 0 else { throw DropError("--user \(account.name): that is root; name an unprivileged user") }
        guard cmut_set_keep_capabilities(1) == 0 else { throw DropError("prctl(PR_SET_KEEPCAPS)", errno: errno) }
        guard cmut_drop_bounding_set_except(kept) == 0 else { throw DropError("prctl(PR_CAPBSET_DROP)", errno: errno) }
        var groups = [account.gid]
        guard setgroups(1, &groups) == 0 else { throw DropError("setgroups", errno: errno) }
        guard cmut_setresgid(account.gid) == 0 else { throw DropError("setresgid(\(account.gid))", errno: errno) }
        guard cmut_setresuid(account.uid) == 0 else { throw DropError("setresuid(\(account.uid))", errno: errno) }
        // After the uid change the effective set is empty and the permitted set is what
        // KEEPCAPS preserved: raise exactly the two we keep.
        guard cmut_capset(kept, kept, 0) == 0 else { throw DropError("capset", errno: errno) }
        guard cmut_set_keep_capabilities(0) == 0 else { throw DropError("prctl(PR_SET_KEEPCAPS, 0)", errno: errno) }
        guard cmut_set_no_new_privileges() == 0 else { throw DropError("prctl(PR_SET_NO_NEW_PRIVS)", errno: errno) }

        let now = current()
        guard now.effective == kept, now.permitted == kept, now.inheritable == 0 else {
            throw DropError("capabilities after the drop are effective 0x\(String(now.effective, radix: 16)), permitted 0x\(String(now.permitted, radix: 16)); expected 0x\(String(kept, radix: 16))")
        }
        guard getuid() == account.uid, geteuid() == account.uid, getgid() == account.gid, getegid() == account.gid,
              cmut_setresuid(0) != 0 else {
            throw DropError("the uid change to \(account.uid) did not stick")
        }
    }

    /// The calling thread's capability sets (all zero if capget fails).
    public static func current() -> (effective: UInt64, permitted: UInt64, inheritable: UInt64) {
        var effective: UInt64 = 0, permitted: UInt64 = 0, inheritable: UInt64 = 0
        if cmut_capget(&effective, &permitted, &inheritable) != 0 { return (0, 0, 0) }
        return (effective, permitted, inheritable)
    }
}

extension Privileges {
    /// Whether `account` (no supplementary groups) may create and rename files in `directory`,
    /// judged from its owner and mode, since access(2) would answer for root.
    public static func canWrite(directory: String, as account: Account) -> Bool {
        var info = stat()
        guard stat(directory, &info) == 0 else { return false }
        let mode = info.st_mode
        if info.st_uid == account.uid { return mode & 0o300 == 0o300 }
        if info.st_gid == account.gid { return mode & 0o030 == 0o030 }
        return mode & 0o003 == 0o003
    }
}
