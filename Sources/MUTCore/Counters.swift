import Synchronization

/// Why an original packet was passed unchanged (ACCEPT, no copies). Fixed set: these are the
/// `reason` label values of the metrics and the keys of `status --json`.
public enum PassReason: Int, CaseIterable, Sendable {
    case disabled
    case noMembers
    case unknownMAC
    case overLimit
    case malformed
    /// The radio's copies would cost more airtime than one multicast frame (the airtime decision).
    case airtime

    public var label: String {
        switch self {
        case .disabled: return "disabled"
        case .noMembers: return "no_members"
        case .unknownMAC: return "untranslatable"
        case .overLimit: return "over_max_clients"
        case .malformed: return "malformed"
        case .airtime: return "airtime"
        }
    }
}

/// Daemon-wide data-plane counters. Written by the data-plane threads with relaxed atomic adds,
/// read by the control plane; never reset.
public final class DataPlaneCounters: Sendable {
    public let packets = Atomic<UInt64>(0)
    public let bytes = Atomic<UInt64>(0)
    public let copies = Atomic<UInt64>(0)
    public let sendErrors = Atomic<UInt64>(0)
    /// Originals dropped because copies replaced them (including packets no member wanted).
    public let dropped = Atomic<UInt64>(0)
    public let batches = Atomic<UInt64>(0)
    public let verdictErrors = Atomic<UInt64>(0)
    private let passedDisabled = Atomic<UInt64>(0)
    private let passedNoMembers = Atomic<UInt64>(0)
    private let passedUnknownMAC = Atomic<UInt64>(0)
    private let passedOverLimit = Atomic<UInt64>(0)
    private let passedMalformed = Atomic<UInt64>(0)
    private let passedAirtime = Atomic<UInt64>(0)

    public init() {}

    public func countPassed(_ reason: PassReason) {
        switch reason {
        case .disabled: passedDisabled.wrappingAdd(1, ordering: .relaxed)
        case .noMembers: passedNoMembers.wrappingAdd(1, ordering: .relaxed)
        case .unknownMAC: passedUnknownMAC.wrappingAdd(1, ordering: .relaxed)
        case .overLimit: passedOverLimit.wrappingAdd(1, ordering: .relaxed)
        case .malformed: passedMalformed.wrappingAdd(1, ordering: .relaxed)
        case .airtime: passedAirtime.wrappingAdd(1, ordering: .relaxed)
        }
    }

    public func passed(_ reason: PassReason) -> UInt64 {
        switch reason {
        case .disabled: return passedDisabled.load(ordering: .relaxed)
        case .noMembers: return passedNoMembers.load(ordering: .relaxed)
        case .unknownMAC: return passedUnknownMAC.load(ordering: .relaxed)
        case .overLimit: return passedOverLimit.load(ordering: .relaxed)
        case .malformed: return passedMalformed.load(ordering: .relaxed)
        case .airtime: return passedAirtime.load(ordering: .relaxed)
        }
    }

    public var passedTotal: UInt64 { PassReason.allCases.reduce(0) { $0 + passed($1) } }
}

/// Per (interface, group) counters; they outlive table snapshots so that counts carry on when
/// the table changes.
public final class GroupCounters: Sendable {
    public let packets = Atomic<UInt64>(0)
    public let bytes = Atomic<UInt64>(0)
    public let copies = Atomic<UInt64>(0)
    public let passed = Atomic<UInt64>(0)
    /// The last source seen sending to this group, either family.
    public let lastSource = LastSource()
    public init() {}
}

/// Per (interface, group, host) counters.
public final class MemberCounters: Sendable {
    public let copies = Atomic<UInt64>(0)
    public let sendErrors = Atomic<UInt64>(0)
    public init() {}
}
