import Glibc
import Testing
@testable import MUTLinux

@Suite struct QueueBindErrorTests {
    // The kernel's answers to an NFQUEUE bind, and the one line mutd prints for each.
    @Test func kernelWithoutNFQUEUE() {
        for errno in [EOPNOTSUPP, EPROTONOSUPPORT, ENOENT, EAFNOSUPPORT] {
            let error = QueueBindError.classify(SystemError("NFQUEUE config", errno: errno), queue: 3)
            #expect(error.description.hasPrefix("cannot bind NFQUEUE 3: the kernel lacks NFQUEUE support"))
        }
    }

    @Test func busyQueue() {
        #expect(QueueBindError.classify(SystemError("NFQUEUE config", errno: EBUSY), queue: 0).description
            == "cannot bind NFQUEUE 0: already bound by another process (is another mutd or NFQUEUE reader running?)")
    }

    @Test func otherErrorsNameTheCall() {
        let text = QueueBindError.classify(SystemError("mnl_socket_sendto", errno: ENOMEM), queue: 1).description
        #expect(text == "cannot bind NFQUEUE 1: mnl_socket_sendto: Cannot allocate memory")
    }
}
