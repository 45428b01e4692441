import CLibGit2

/// What a commit says, copied out of libgit2 so no handle outlives the call.
public struct Commit: Sendable, Equatable {
    public let oid: OID
    public let tree: OID
    public let parents: [OID]
    public let message: String
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

    /// Commits reachable from `tip` by first parents, newest first, stopping before `stop`.
    public func firstParentHistory(from tip: OID, stoppingAt stop: OID?) throws -> [Commit] {
        var history: [Commit] = []
        var next: OID? = tip
        while let oid = next, oid != stop {
            let commit = try commit(oid)
            history.append(commit)
            next = commit.parents.first
        }
        return history
    }
}
