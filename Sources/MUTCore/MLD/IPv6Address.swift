/// An IPv6 address: 16 bytes, first byte highest.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads 16 bytes; the caller guarantees `bytes.count >= offset + 16`.
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[offset + i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[offset + i]) }
        high = h
        low = l
    }

    /// Parses RFC 4291 text ("ff3e::8000:1", "fe80::1"); no zone, no embedded IPv4.
    public init?(_ text: some StringProtocol) {
        guard (2...39).contains(text.count) else { return nil }
        let parts = text.components(separatedByDoubleColon: ())
        guard parts.count <= 2 else { return nil }
        func groups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for field in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(field.count), let n = UInt16(field, radix: 16) else { return nil }
                out.append(n)
            }
            return out
        }
        guard let head = groups(parts[0]) else { return nil }
        var all = head
        if parts.count == 2 {
            guard let tail = groups(parts[1]), head.count + tail.count <= 7 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        high = all[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        low = all[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * $0)) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * $0)) }
    }

    public static let unspecified = IPv6Address(high: 0, low: 0)
    public var isMulticast: Bool { high >> 56 == 0xFF }
    /// The multicast scope (RFC 4291 2.7): 1 interface, 2 link, 5 site, 8 organisation, 14 global.
    public var multicastScope: UInt8 { UInt8(high >> 48 & 0xF) }
    /// ff02::/16 and narrower: never routed, never translated.
    public var isLinkScopeMulticast: Bool { isMulticast && multicastScope <= 2 }
    /// fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0x3FA }

    /// RFC 5952: lower case, the longest run of two or more zero groups as "::".
    public var description: String {
        let g = groups
        var bestStart = -1, bestLength = 1, i = 0
        while i < 8 {
            guard g[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8 && g[j] == 0 { j += 1 }
            if j - i > bestLength { bestStart = i; bestLength = j - i }
            i = j
        }
        func text(_ range: Range<Int>) -> String { range.map { String(g[$0], radix: 16) }.joined(separator: ":") }
        guard bestStart >= 0 else { return text(0..<8) }
        return text(0..<bestStart) + "::" + text(bestStart + bestLength..<8)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

private extension StringProtocol {
    /// Splits at the first "::" only; a second "::" leaves three parts (invalid).
    func components(separatedByDoubleColon _: Void) -> [Substring] {
        let s = Substring(self)
        var parts: [Substring] = []
        var rest = s
        while let range = rest.firstRange(of: "::") {
            parts.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }
}
