import MUTLinux

/// mutd's log: one line per event on stderr, "mutd: " first so that a line is recognisable in
/// any supervisor's journal; warnings and errors say so.
enum LogLevel: Int, Comparable, CaseIterable {
    case error, warning, info, debug

    init?(name: String) {
        switch name.lowercased() {
        case "error": self = .error
        case "warning", "warn": self = .warning
        case "info", "notice": self = .info
        case "debug", "trace": self = .debug
        default: return nil
        }
    }

    static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

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
