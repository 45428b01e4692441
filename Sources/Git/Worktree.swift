import CLibGit2

extension Repository {
    /// Creates the linked worktree `name` at `path`, checked out at `commit` with a detached HEAD, so no branch is
    /// held by it and the branch it came from can move freely.
    /// `branch` is the ref checked out first (libgit2 needs one); it must point at `commit`.
    public func addWorktree(name: String, path: String, branch: String, commit: OID) throws {
        var reference: OpaquePointer?
        try check(git_reference_lookup(&reference, pointer, branch), "git_reference_lookup")
        defer { git_reference_free(reference) }
        var options = git_worktree_add_options()
        try check(git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)), "git_worktree_add_options_init")
        options.ref = reference
        // libgit2 1.5's own checkout here resolves attributes with a realpath per file (24 readlinks each, 13 s for
        // 20,000 files); it writes nothing, and the checkout below, with an attribute session, writes the files.
        options.checkout_options.checkout_strategy = GIT_CHECKOUT_NONE.rawValue
        var worktree: OpaquePointer?
        try check(git_worktree_add(&worktree, pointer, name, path, &options), "git_worktree_add")
        git_worktree_free(worktree)
        let linked = try Repository.open(at: path)
        try linked.checkoutDetached(commit, mode: .force)
    }

    /// Removes the linked worktree `name`: its files and git's record of it. Nothing to do when it does not exist.
    public func removeWorktree(name: String) throws {
        guard try worktreeNames().contains(name) else { return }
        var worktree: OpaquePointer?
        try check(git_worktree_lookup(&worktree, pointer, name), "git_worktree_lookup")
        defer { git_worktree_free(worktree) }
        var options = git_worktree_prune_options()
        try check(git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION)), "git_worktree_prune_options_init")
        options.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
        try check(git_worktree_prune(worktree, &options), "git_worktree_prune")
    }

    /// The names of the linked worktrees git has a record of.
    public func worktreeNames() throws -> [String] {
        var names = git_strarray()
        try check(git_worktree_list(&names, pointer), "git_worktree_list")
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }
    }

    /// Whether git knows a linked worktree called `name` whose directory still exists.
    public func hasWorktree(name: String) -> Bool {
        var worktree: OpaquePointer?
        guard git_worktree_lookup(&worktree, pointer, name) == 0 else { return false }
        defer { git_worktree_free(worktree) }
        return git_worktree_validate(worktree) == 0
    }

    /// Points HEAD at `commit` directly, leaving every branch where it is.
    public func detachHead(at commit: OID) throws {
        var raw = commit.raw
        try check(git_repository_set_head_detached(pointer, &raw), "git_repository_set_head_detached")
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
