import CLibGit2

/// What a commit says, copied out of libgit2 so no handle outlives the call.
public struct Commit: Sendable, Equatable {
    public let oid: OID
    public let tree: OID
    public let parents: [OID]
    public let message: String

    public init(oid: OID, tree: OID, parents: [OID], message: String) {
        self.oid = oid
        self.tree = tree
        self.parents = parents
        self.message = message
    }
}

extension Repository {
    public func commit(_ oid: OID) throws -> Commit {
        try withCommit(oid) { handle in
            let count = git_commit_parentcount(handle)
            let parents = (0..<count).map { OID(git_commit_parent_id(handle, $0).pointee) }
            return Commit(
                oid: oid,
                tree: OID(git_commit_tree_id(handle).pointee),
                parents: parents,
                message: String(cString: git_commit_message_raw(handle))
            )
        }
    }

    func withCommit<T>(_ oid: OID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var handle: OpaquePointer?
        var raw = oid.raw
        try check(git_commit_lookup(&handle, pointer, &raw), "git_commit_lookup")
        defer { git_commit_free(handle) }
        return try body(handle!)
    }

    /// Every commit reachable from `tip` but not from `stop`, oldest first, parents before children.
    public func history(from tip: OID, excluding stop: OID?) throws -> [Commit] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        try check(git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_REVERSE.rawValue), "git_revwalk_sorting")
        var tipRaw = tip.raw
        try check(git_revwalk_push(walk, &tipRaw), "git_revwalk_push")
        if var stopRaw = stop?.raw { try check(git_revwalk_hide(walk, &stopRaw), "git_revwalk_hide") }
        var history: [Commit] = []
        var next = git_oid()
        while true {
            let result = git_revwalk_next(&next, walk)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_revwalk_next")
            history.append(try commit(OID(next)))
        }
        return history
    }
}
