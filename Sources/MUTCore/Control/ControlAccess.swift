/// Who is on the other end of a control connection (SO_PEERCRED), plus the supplementary groups
/// when they were looked up.
public struct PeerCredentials: Equatable, Sendable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    public var supplementaryGroups: [UInt32]

    public init(pid: Int32, uid: UInt32, gid: UInt32, supplementaryGroups: [UInt32] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
    }

    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }

    public func isMember(of group: UInt32) -> Bool {
        gid == group || supplementaryGroups.contains(group)
    }

    /// The numbers on the "Groups:" line of /proc/PID/status; empty when there is none.
    public static func supplementaryGroups(procStatus bytes: [UInt8]) -> [UInt32] {
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("Groups:".utf8)) {
            return line.dropFirst(7)
                .split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
                .compactMap { UInt32(String(decoding: $0, as: UTF8.self)) }
        }
        return []
    }
}

/// Who may do what: reading (status, groups, metrics) is open to anyone who can connect; commands
/// that change state need root or membership of the socket's group.
public struct ControlAccessPolicy: Equatable, Sendable {
    public var groupID: UInt32
    /// For messages: the group's name when known.
    public var groupName: String?

    public init(groupID: UInt32, groupName: String? = nil) {
        self.groupID = groupID
        self.groupName = groupName
    }

    /// True when the decision may depend on supplementary groups (so the caller should look them up).
    public func needsSupplementaryGroups(_ request: ControlRequest, peer: PeerCredentials) -> Bool {
        request.changesState && peer.uid != 0 && peer.gid != groupID
    }

    /// nil when allowed; otherwise the one-line reason sent back.
    public func refusal(_ request: ControlRequest, peer: PeerCredentials) -> String? {
        guard request.changesState, peer.uid != 0, !peer.isMember(of: groupID) else { return nil }
        let group = groupName.map { "'\($0)'" } ?? "\(groupID)"
        return "permission denied: '\(request.verb)' changes mutd's state and needs root or membership of group \(group) (peer uid \(peer.uid))"
    }
}
