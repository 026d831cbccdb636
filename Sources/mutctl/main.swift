import ArgumentParser
import Glibc

// Our own entry point rather than ArgumentParser's, so that usage errors exit 2 (mutctl(8)),
// not ArgumentParser's 64, and failures carry their own status.
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        offset += n
    }
}

do {
    var command = try Mutctl.parseAsRoot()
    try command.run()
    exit(MutctlExit.done)
} catch let failure as MutctlFailure {
    writeStandardError("mutctl: \(failure.message)")
    exit(failure.status)
} catch {
    if Mutctl.exitCode(for: error) == .success {
        Mutctl.exit(withError: error)  // --help and friends: text on stdout, status 0
    }
    var message = Mutctl.fullMessage(for: error)
    if message.hasPrefix("Error: ") { message = "mutctl: " + message.dropFirst(7) }
    writeStandardError(message)
    exit(MutctlExit.usage)
}
