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
