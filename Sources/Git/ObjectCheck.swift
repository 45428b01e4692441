import CLibGit2

/// The checks `git fsck --strict` makes of a commit or a tree, for objects git aee takes from a program it does not
/// trust into the user's repository.
enum ObjectCheck {
    /// A commit's tree and parents, or nil when it is malformed (no tree, author or committer line; a bad id).
    static func commit(_ data: [UInt8]) -> (tree: OID, parents: [OID])? {
        let header = data.split(separator: 0x0A, omittingEmptySubsequences: false).prefix { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) }
        guard let treeLine = header.first, treeLine.hasPrefix("tree "), let tree = OID(hex: String(treeLine.dropFirst(5))) else { return nil }
        var parents: [OID] = []
        for line in header.dropFirst().prefix(while: { $0.hasPrefix("parent ") }) {
            guard let parent = OID(hex: String(line.dropFirst(7))) else { return nil }
            parents.append(parent)
        }
        guard header.contains(where: { $0.hasPrefix("author ") }), header.contains(where: { $0.hasPrefix("committer ") }) else { return nil }
        return (tree, parents)
    }

    /// The objects a tree refers to (submodule commits aside, which live elsewhere), each with the git file it is
    /// when it is one whose content fsck checks; nil when the tree is malformed or names a file fsck refuses.
    static func tree(_ data: [UInt8]) -> [(OID, git_object_t, GitFile?)]? {
        var entries: [(OID, git_object_t, GitFile?)] = []
        var names: [[UInt8]] = []
        var index = 0
        let modes: [String: git_object_t?] = ["100644": GIT_OBJECT_BLOB, "100755": GIT_OBJECT_BLOB, "120000": GIT_OBJECT_BLOB,
                                              "40000": GIT_OBJECT_TREE, "160000": nil]
        while index < data.count {
            guard let space = data[index...].firstIndex(of: 0x20), let nul = data[space...].firstIndex(of: 0), nul + 21 <= data.count else { return nil }
            let mode = String(decoding: data[index..<space], as: UTF8.self)
            let name = Array(data[(space + 1)..<nul])
            guard let kind = modes[mode], !name.isEmpty, !name.contains(0x2F), name != Array(".".utf8), name != Array("..".utf8),
                  !GitFile.isDotGit(name) else { return nil }
            let file = GitFile(name: name)
            // A link in their place (fsck's `gitmodulesSymlink`, `gitattributesSymlink`).
            if file != nil, mode == "120000" { return nil }
            // git's order: names compared as if a tree's name ended with `/`.
            let key = name + (kind == GIT_OBJECT_TREE ? [0x2F] : [])
            if let last = names.last, !last.lexicographicallyPrecedes(key) { return nil }
            names.append(key)
            var raw = git_oid()
            data[(nul + 1)..<(nul + 21)].withUnsafeBytes { raw = $0.loadUnaligned(as: git_oid.self) }
            if let kind { entries.append((OID(raw), kind, kind == GIT_OBJECT_BLOB ? file : nil)) }
            index = nul + 21
        }
        return entries
    }
}

/// A file whose name git gives a meaning, which `git fsck --strict` checks (and a server with `receive.fsckObjects`,
/// GitHub's among them, refuses a push for).
public enum GitFile: Sendable {
    case gitmodules
    case gitattributes

    /// The file `name` (a path's last part) is, as git on any system would take it; nil for another.
    init?(name: [UInt8]) {
        switch Self.folded(name) {
        case Array(".gitmodules".utf8): self = .gitmodules
        case Array(".gitattributes".utf8): self = .gitattributes
        default: return nil
        }
    }

    /// Whether `name` is one git on macOS (ignoring some invisible characters, any case) or Windows (trailing dots
    /// and spaces, a stream name, the short name `git~1`) takes for `.git` (fsck's `hasDotgit`).
    static func isDotGit(_ name: [UInt8]) -> Bool {
        let folded = folded(name)
        if folded == Array(".git".utf8) || folded == Array("git~1".utf8) { return true }
        guard folded.starts(with: Array(".git".utf8)) else { return false }
        let rest = folded.dropFirst(4).drop { $0 == 0x20 || $0 == 0x2E }
        return rest.isEmpty || rest.first == 0x3A || rest.first == 0x5C
    }

    /// `name` lowercased (ASCII), without the code points HFS+ ignores in names (U+200C-U+200F, U+202A-U+202E,
    /// U+206A-U+206F, U+FEFF).
    private static func folded(_ name: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        while index < name.count {
            if index + 2 < name.count {
                let (a, b, c) = (name[index], name[index + 1], name[index + 2])
                let ignorable = (a == 0xE2 && b == 0x80 && ((0x8C...0x8F).contains(c) || (0xAA...0xAE).contains(c)))
                    || (a == 0xE2 && b == 0x81 && (0xAA...0xAF).contains(c)) || (a == 0xEF && b == 0xBB && c == 0xBF)
                if ignorable {
                    index += 3
                    continue
                }
            }
            let byte = name[index]
            result.append((0x41...0x5A).contains(byte) ? byte + 0x20 : byte)
            index += 1
        }
        return result
    }

    /// What `git fsck --strict` finds wrong in this file's `content`, or nil: in `.gitmodules` a URL or path that
    /// reads as a command-line option, an `update` that runs a command, a name that climbs out (`..`); in
    /// `.gitattributes` a line longer than git reads (2,048 bytes) or a file over 100 MB.
    public func problem(in content: [UInt8]) -> String? {
        switch self {
        case .gitattributes:
            if content.count > 100 << 20 { return ".gitattributes is larger than git reads (100 MB)" }
            return content.split(separator: 0x0A, omittingEmptySubsequences: false).contains { $0.count > 2048 }
                ? ".gitattributes has a line longer than git reads (2,048 bytes)" : nil
        case .gitmodules:
            for line in content.split(separator: 0x0A) {
                let text = Self.trimmed(Substring(String(decoding: line, as: UTF8.self)))
                if text.hasPrefix("[") {
                    let name = text.split(separator: "\"").dropFirst().first.map(String.init) ?? ""
                    if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") || name.split(separator: "\\").contains("..") {
                        return ".gitmodules names a submodule '\(name)' that climbs out of its folder"
                    }
                    continue
                }
                guard let equals = text.firstIndex(of: "=") else { continue }
                let key = Self.trimmed(text[..<equals]).lowercased()
                var value = Self.trimmed(text[text.index(after: equals)...])
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                if (key == "url" || key == "path"), value.hasPrefix("-") { return ".gitmodules has a submodule \(key) that reads as an option ('\(value.prefix(40))')" }
                if key == "update", value.hasPrefix("!") { return ".gitmodules has a submodule update that runs a command" }
            }
            return nil
        }
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
