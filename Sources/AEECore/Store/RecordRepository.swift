import Git

/// The repository as the task store speaks to it: read refs and objects, write objects, move a ref by compare-and-swap.
/// libgit2's `Repository` is the real one; the core's tests run the store, the stories and the resume point on an
/// in-memory one, in milliseconds. Refusals are `GitError`s (`isExists`, `isModified`, `isLocked`), as libgit2's are.
protocol RecordRepository {
    func resolveReference(_ name: String) throws -> OID?
    /// Refs whose full name matches a glob (`refs/heads/aee/*`), with what they point at.
    func references(matching glob: String) throws -> [(name: String, target: OID)]
    /// The names of the refs directly in a directory (`refs/heads/aee/`) that start with a prefix there, none read.
    func referenceNames(in directory: String, startingWith prefix: String) -> [String]
    /// The commit HEAD is at; nil while the branch it names has no commit.
    func headCommit() throws -> OID?
    func commit(_ oid: OID) throws -> Commit
    func entries(ofTree tree: OID) throws -> [TreeEntry]
    func blob(_ oid: OID) throws -> [UInt8]

    func writeBlob(_ bytes: [UInt8]) throws -> OID
    /// `base` (nil: an empty tree) with `updates` applied, each a path given a blob or a tree, or removed.
    func writeTree(base: OID?, applying updates: [TreeUpdate]) throws -> OID
    func writeCommit(tree: OID, parents: [OID], author: Signature, committer: Signature, message: String) throws -> OID
    /// Points `name` at `target` if it points at `expected` now (nil: creates it, refusing with `isExists` when it is there).
    func updateReference(_ name: String, to target: OID, expecting expected: OID?, reflogMessage: String) throws
    func deleteReference(_ name: String, expecting expected: OID) throws
    /// The same repository through a handle of its own, for reading on another thread.
    func handleForAnotherThread() throws -> any RecordRepository

    // Derived from the verbs above; libgit2 answers them faster itself.
    func entry(at path: String, inTree tree: OID) throws -> TreeEntry?
    func blob(at path: String, inTree tree: OID) throws -> [UInt8]?
    func isAncestor(_ ancestor: OID, of commit: OID) throws -> Bool
    /// Every commit reachable from `tip` but not from `stop`, parents before children.
    func history(from tip: OID, excluding stop: OID?) throws -> [Commit]
    /// The paths whose blobs or modes differ between two trees (nil: an empty one).
    func changedPaths(from old: OID?, to new: OID) throws -> [String]
}

extension RecordRepository {
    func entry(at path: String, inTree tree: OID) throws -> TreeEntry? {
        var found: TreeEntry?
        var current = tree
        for name in path.split(separator: "/") {
            guard found?.isTree ?? true, let next = try entries(ofTree: found?.oid ?? current).first(where: { $0.name == name }) else { return nil }
            found = next
            current = next.oid
        }
        return found
    }

    func blob(at path: String, inTree tree: OID) throws -> [UInt8]? {
        guard let entry = try entry(at: path, inTree: tree), !entry.isTree else { return nil }
        return try blob(entry.oid)
    }

    func isAncestor(_ ancestor: OID, of commit: OID) throws -> Bool {
        var seen: Set<OID> = []
        var pending = [commit]
        while let next = pending.popLast() {
            if next == ancestor { return true }
            if seen.insert(next).inserted { pending += try self.commit(next).parents }
        }
        return false
    }

    func history(from tip: OID, excluding stop: OID?) throws -> [Commit] {
        func reachable(from start: OID?) throws -> [Commit] {
            guard let start else { return [] }
            var seen: Set<OID> = []
            var order: [Commit] = []
            // Depth first, a commit after all its parents: parents before children.
            func visit(_ oid: OID) throws {
                guard seen.insert(oid).inserted else { return }
                let commit = try self.commit(oid)
                for parent in commit.parents { try visit(parent) }
                order.append(commit)
            }
            try visit(start)
            return order
        }
        let hidden = Set(try reachable(from: stop).map(\.oid))
        return try reachable(from: tip).filter { !hidden.contains($0.oid) }
    }

    func changedPaths(from old: OID?, to new: OID) throws -> [String] {
        func files(_ tree: OID?, under prefix: String) throws -> [String: TreeEntry] {
            guard let tree else { return [:] }
            var found: [String: TreeEntry] = [:]
            for entry in try entries(ofTree: tree) {
                if entry.isTree {
                    found.merge(try files(entry.oid, under: prefix + entry.name + "/")) { $1 }
                } else {
                    found[prefix + entry.name] = entry
                }
            }
            return found
        }
        let before = try files(old, under: "")
        let after = try files(new, under: "")
        return Set(before.keys).union(after.keys).filter { before[$0]?.oid != after[$0]?.oid || before[$0]?.mode != after[$0]?.mode }.sorted()
    }
}

extension Repository: RecordRepository {
    func handleForAnotherThread() throws -> any RecordRepository {
        try Repository.open(at: gitDirectory, searching: false)
    }
}
