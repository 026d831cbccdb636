/// What mutd saves so that a restart loses nobody (hitless restart): IGMP- and MLD-learned memberships
/// (an MLD entry's "version" is the table's compatibility version: 2 for MLDv1, 3 for MLDv2)
/// with their expiry on the monotonic clock, the interfaces whose entries were being held, and
/// the static subscribers added at runtime. The clock only means something within one boot, so
/// the file carries the boot id and a file from another boot is ignored.
public struct SavedState: Equatable, Sendable {
    public static let formatVersion = 1
    public var bootID: String
    public var savedAt: Double
    public var memberships: [Membership]
    public var heldInterfaces: [String]
    /// The same for MLD, whose querier is its own (written only when there are any).
    public var mldHeldInterfaces: [String] = []
    public var runtimeStatics: [StaticSubscriber]

    public init(bootID: String, savedAt: Double, memberships: [Membership], heldInterfaces: [String], runtimeStatics: [StaticSubscriber]) {
        self.bootID = bootID
        self.savedAt = savedAt
        self.memberships = memberships
        self.heldInterfaces = heldInterfaces
        self.runtimeStatics = runtimeStatics
    }

    public var json: JSONValue {
        let mldHeld: [(String, JSONValue)] =
            mldHeldInterfaces.isEmpty ? [] : [("mld_held_interfaces", .array(mldHeldInterfaces.map { .string($0) }))]
        return .object([
            ("format", .int(Int64(Self.formatVersion))),
            ("boot_id", .string(bootID)),
            ("saved_at", .double(savedAt)),
            ("held_interfaces", .array(heldInterfaces.map { .string($0) })),
        ] + mldHeld + [
            ("runtime_statics", .array(runtimeStatics.map { .string($0.description) })),
            ("memberships", .array(memberships.compactMap { m -> JSONValue? in
                guard case .igmp(let version, let expiresAt) = m.origin, let mac = m.mac else { return nil }
                return .object([
                    ("interface", .string(m.interface)), ("group", .string(m.group.description)),
                    ("host", .string(m.host.description)), ("mac", .string(mac.description)),
                    ("version", .int(Int64(version))), ("expires_at", .double(expiresAt)),
                ] + m.filter.jsonMembers)
            })),
        ])
    }

    /// Reads a saved state; the error names what is wrong. Unknown keys are ignored.
    public init(json text: String) throws(ConfigError) {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw .invalid("state file is not JSON: \(error)") }
        guard value["format"]?.int64Value == Int64(Self.formatVersion) else {
            throw .invalid("state file has an unknown format (expected \(Self.formatVersion))")
        }
        guard let bootID = value["boot_id"]?.stringValue, let savedAt = value["saved_at"]?.doubleValue else {
            throw .invalid("state file lacks boot_id or saved_at")
        }
        self.bootID = bootID
        self.savedAt = savedAt
        heldInterfaces = (value["held_interfaces"]?.arrayValue ?? []).compactMap(\.stringValue)
        mldHeldInterfaces = (value["mld_held_interfaces"]?.arrayValue ?? []).compactMap(\.stringValue)
        runtimeStatics = []
        for entry in value["runtime_statics"]?.arrayValue ?? [] {
            guard let text = entry.stringValue else { throw .invalid("state file: a runtime static is not a string") }
            runtimeStatics.append(try StaticSubscriber(parsing: text))
        }
        memberships = []
        for (index, entry) in (value["memberships"]?.arrayValue ?? []).enumerated() {
            guard let interface = entry["interface"]?.stringValue, InterfaceName.isValid(interface),
                  let group = entry["group"]?.stringValue.flatMap({ IPAddress($0) }), group.isMulticast,
                  let host = entry["host"]?.stringValue.flatMap({ IPAddress($0) }), host.isIPv6 == group.isIPv6,
                  let mac = entry["mac"]?.stringValue.flatMap({ MACAddress($0) }),
                  let version = entry["version"]?.int64Value, (1...3).contains(version),
                  let expiresAt = entry["expires_at"]?.doubleValue
            else { throw .invalid("state file: membership \(index) is incomplete or malformed") }
            let filter: SourceFilter
            do { filter = try SourceFilter(jsonMembersOf: entry) } catch {
                throw .invalid("state file: membership \(index): \(error)")
            }
            memberships.append(Membership(interface: interface, group: group, host: host, mac: mac, filter: filter,
                                          origin: .igmp(version: Int(version), expiresAt: expiresAt)))
        }
    }
}
