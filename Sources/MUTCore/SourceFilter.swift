/// Which sources a member wants from a group (RFC 3376 filter mode and source list).
/// An IGMPv1/v2 member and a static subscriber want every source: `.exclude([])`.
public enum SourceFilter: Hashable, Sendable {
    case include([IPAddress])
    case exclude([IPAddress])

    public static let anySource = SourceFilter.exclude([])

    public func admits(_ source: IPAddress) -> Bool {
        switch self {
        case .include(let sources): return sources.contains(source)
        case .exclude(let sources): return !sources.contains(source)
        }
    }

    /// What either filter admits (RFC 3376 6.4's merge of two members' states).
    public func union(_ other: SourceFilter) -> SourceFilter {
        switch (self, other) {
        case (.include(let a), .include(let b)): return .include(a + b.filter { !a.contains($0) })
        case (.include(let a), .exclude(let b)), (.exclude(let b), .include(let a)): return .exclude(b.filter { !a.contains($0) })
        case (.exclude(let a), .exclude(let b)): return .exclude(a.filter { b.contains($0) })
        }
    }
}

/// The one text form and the one JSON form of a filter.
extension SourceFilter: CustomStringConvertible {
    /// The filter mode as the JSON forms name it.
    public var mode: String {
        switch self {
        case .include: return "include"
        case .exclude: return "exclude"
        }
    }

    public var sources: [IPAddress] {
        switch self {
        case .include(let sources), .exclude(let sources): return sources
        }
    }

    /// For people (`mutctl groups`, mutd's log): "any source", "include none", "include A,B",
    /// "exclude A,B".
    public var description: String {
        let list = sources.map(\.description).joined(separator: ",")
        switch self {
        case .include: return "include " + (list.isEmpty ? "none" : list)
        case .exclude: return list.isEmpty ? "any source" : "exclude " + list
        }
    }

    /// `"mode"` and `"sources"`: members of the state file's membership objects and of the
    /// `filter` object in `groups --json`.
    public var jsonMembers: [(String, JSONValue)] {
        [("mode", .string(mode)), ("sources", .array(sources.map { .string($0.description) }))]
    }

    /// Reads the members `jsonMembers` writes from `object` (absent sources: none); the error
    /// says what is wrong, for the caller to prefix with where.
    public init(jsonMembersOf object: JSONValue) throws(ConfigError) {
        guard let mode = object["mode"]?.stringValue else { throw .invalid("no mode") }
        var sources: [IPAddress] = []
        for source in object["sources"]?.arrayValue ?? [] {
            guard let address = source.stringValue.flatMap({ IPAddress($0) }) else {
                throw .invalid("source '\(source.stringValue ?? "(not a string)")' is not an IP address")
            }
            sources.append(address)
        }
        switch mode {
        case "include": self = .include(sources)
        case "exclude": self = .exclude(sources)
        default: throw .invalid("mode '\(mode)' is neither include nor exclude")
        }
    }
}
