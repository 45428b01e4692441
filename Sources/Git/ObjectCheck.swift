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

    /// The objects a tree refers to (submodule commits aside, which live elsewhere), or nil when it is malformed.
    static func tree(_ data: [UInt8]) -> [(OID, git_object_t)]? {
        var entries: [(OID, git_object_t)] = []
        var names: [[UInt8]] = []
        var index = 0
        let modes: [String: git_object_t?] = ["100644": GIT_OBJECT_BLOB, "100755": GIT_OBJECT_BLOB, "120000": GIT_OBJECT_BLOB,
                                              "40000": GIT_OBJECT_TREE, "160000": nil]
        while index < data.count {
            guard let space = data[index...].firstIndex(of: 0x20), let nul = data[space...].firstIndex(of: 0), nul + 21 <= data.count else { return nil }
            let mode = String(decoding: data[index..<space], as: UTF8.self)
            let name = Array(data[(space + 1)..<nul])
            guard let kind = modes[mode], !name.isEmpty, !name.contains(0x2F), name != Array(".".utf8), name != Array("..".utf8),
                  String(decoding: name, as: UTF8.self).lowercased() != ".git" else { return nil }
            // git's order: names compared as if a tree's name ended with `/`.
            let key = name + (kind == GIT_OBJECT_TREE ? [0x2F] : [])
            if let last = names.last, !last.lexicographicallyPrecedes(key) { return nil }
            names.append(key)
            var raw = git_oid()
            data[(nul + 1)..<(nul + 21)].withUnsafeBytes { raw = $0.loadUnaligned(as: git_oid.self) }
            if let kind { entries.append((OID(raw), kind)) }
            index = nul + 21
        }
        return entries
    }
}
