import Testing
import Glibc
import MUTLinux

/// The privilege drop itself needs root and is irreversible, so it is exercised by
/// Tests/netns/t-privileges.sh; here only what must fail before anything changes.
@Suite struct PrivilegesTests {
    @Test func looksUpAUserInThePasswdDatabase() throws {
        let root = try Privileges.account(named: "root")
        #expect(root.uid == 0 && root.gid == 0)
    }

    @Test func anUnknownUserIsNamedInTheError() {
        #expect(throws: Privileges.DropError.self) { try Privileges.account(named: "no-such-user-mut") }
        do {
            _ = try Privileges.account(named: "no-such-user-mut")
        } catch {
            #expect(error.description == "no such user: 'no-such-user-mut'")
        }
    }

    @Test func refusesToDropToRootWithoutTouchingAnything() {
        let before = Privileges.current()
        // As root: refused because the target is root; as another user: refused because mutd
        // must start as root. Either way before any call that changes credentials.
        #expect(throws: Privileges.DropError.self) {
            try Privileges.drop(to: Privileges.Account(name: "root", uid: 0, gid: 0))
        }
        #expect(Privileges.current() == before)
    }

    @Test func keepsExactlyNetAdminAndNetRaw() {
        #expect(Privileges.kept == 0x3000)
    }
}
