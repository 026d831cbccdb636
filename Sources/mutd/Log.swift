import MUTCore
import MUTLinux

/// mutd's log: one line per event on stderr, "mutd: " first so that a line is recognisable in
/// any supervisor's journal; warnings and errors say so.
struct Log {
    var level: LogLevel = .info

    func write(_ threshold: LogLevel, _ message: String) {
        guard threshold <= level else { return }
        let prefix: String
        switch threshold {
        case .error: prefix = "mutd: error: "
        case .warning: prefix = "mutd: warning: "
        case .info, .debug: prefix = "mutd: "
        }
        Syscall.writeAll(2, prefix + message + "\n")
    }

    func error(_ message: String) { write(.error, message) }
    func warning(_ message: String) { write(.warning, message) }
    func info(_ message: String) { write(.info, message) }
    func debug(_ message: String) { write(.debug, message) }
}
