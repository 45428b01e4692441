import CLibGit2

/// A git object id (SHA-1).
public struct OID: Hashable, Sendable, CustomStringConvertible {
    var raw: git_oid

    init(_ raw: git_oid) { self.raw = raw }

    public init?(hex: String) {
        _ = LibGit2.ready
        var raw = git_oid()
        guard hex.utf8.count == Int(GIT_OID_HEXSZ), git_oid_fromstr(&raw, hex) == 0 else { return nil }
        self.raw = raw
    }

    /// From 40 hex digits (either case) given as bytes, as a file holds them: no string is made.
    public init?(hexDigits digits: ArraySlice<UInt8>) {
        guard digits.count == Int(GIT_OID_HEXSZ) else { return nil }
        var raw = git_oid()
        let parsed = withUnsafeMutableBytes(of: &raw.id) { id in
            digits.withUnsafeBufferPointer { digits -> Bool in
                for position in 0..<Int(GIT_OID_RAWSZ) {
                    guard let high = Self.value(ofHexDigit: digits[2 * position]), let low = Self.value(ofHexDigit: digits[2 * position + 1]) else { return false }
                    id[position] = high << 4 | low
                }
                return true
            }
        }
        guard parsed else { return nil }
        self.raw = raw
    }

    private static func value(ofHexDigit digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public var hex: String {
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        var copy = raw
        git_oid_tostr(&buffer, buffer.count, &copy)
        return String(decoding: buffer.prefix(Int(GIT_OID_HEXSZ)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { hex }

    public static func == (lhs: OID, rhs: OID) -> Bool {
        var l = lhs.raw, r = rhs.raw
        return git_oid_equal(&l, &r) != 0
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: raw.id) { hasher.combine(bytes: $0) }
    }
}
