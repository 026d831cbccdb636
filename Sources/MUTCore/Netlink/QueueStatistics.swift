/// One line of /proc/net/netfilter/nfnetlink_queue: a bound queue and what the kernel dropped.
public struct QueueStatistics: Equatable, Sendable {
    public var queue: UInt16
    public var portID: UInt32
    public var waiting: UInt64
    /// Dropped because the queue was full (with fail-open these were accepted instead).
    public var queueDropped: UInt64
    /// Dropped because the netlink socket could not take them (receive buffer full).
    public var userDropped: UInt64

    public var drops: UInt64 { queueDropped &+ userDropped }

    /// Parses the file's text; lines that do not have the nine numeric columns are skipped.
    public static func parse(_ text: String) -> [QueueStatistics] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8, let queue = UInt16(fields[0]), let port = UInt32(fields[1]),
                  let waiting = UInt64(fields[2]), let dropped = UInt64(fields[5]), let userDropped = UInt64(fields[6])
            else { return nil }
            return QueueStatistics(queue: queue, portID: port, waiting: waiting, queueDropped: dropped, userDropped: userDropped)
        }
    }
}
