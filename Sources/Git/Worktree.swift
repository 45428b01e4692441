import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// Removes the linked worktree `name` whose files are at `path` (git aee ran tasks in such worktrees before it had
    /// workspaces of their own): git's record of it first, moved out of
    /// `worktrees/` in one rename (a crash never leaves a half-deleted record for `git fsck` to report), then the
    /// files. Nothing to do for what does not exist.
    public func removeWorktree(name: String, path: String) throws {
        let record = commonDirectory + "worktrees/" + name
        let trash = commonDirectory + "worktrees.new/" + name + ".removed"
        try removeRecursively(trash)
        if access(record, F_OK) == 0 {
            guard mkdir(commonDirectory + "worktrees.new", 0o777) == 0 || errno == EEXIST,
                  rename(record, trash) == 0 else { throw GitError(systemCall: "rename", path: record) }
        }
        try removeRecursively(path)
        try removeRecursively(trash)
    }

    /// Points HEAD at `commit` directly, leaving every branch where it is.
    public func detachHead(at commit: OID) throws {
        var raw = commit.raw
        try check(writingRef("HEAD") { git_repository_set_head_detached(pointer, &raw) }, "git_repository_set_head_detached")
    }

    /// Points HEAD at the branch `name` (a full ref name).
    public func attachHead(to name: String) throws {
        try check(git_repository_set_head(pointer, name), "git_repository_set_head")
    }

    /// Whether the branch `name` is HEAD in this repository's worktrees (the main one or a linked one).
    public func isCheckedOut(branch name: String) throws -> Bool {
        var reference: OpaquePointer?
        let result = git_reference_lookup(&reference, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return false }
        try check(result, "git_reference_lookup")
        defer { git_reference_free(reference) }
        return try check(git_branch_is_checked_out(reference), "git_branch_is_checked_out") == 1
    }

    /// Whether `ancestor` is `commit` or reachable from it.
    public func isAncestor(_ ancestor: OID, of commit: OID) throws -> Bool {
        if ancestor == commit { return true }
        var commitRaw = commit.raw
        var ancestorRaw = ancestor.raw
        return try check(git_graph_descendant_of(pointer, &commitRaw, &ancestorRaw), "git_graph_descendant_of") == 1
    }
}
