import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// Creates the linked worktree `name` at `path`, checked out at `commit` with a detached HEAD, so no branch is
    /// held by it and the branch it came from can move freely.
    /// git's record of it (`worktrees/<name>`: HEAD, commondir, gitdir) is written in a directory beside it and renamed
    /// into place, so a crash never leaves a half-made record, which `git fsck` would report; libgit2's
    /// `git_worktree_add` writes HEAD last, into a directory git already lists.
    public func addWorktree(name: String, path: String, commit: OID) throws {
        let record = commonDirectory + "worktrees/" + name
        let staging = commonDirectory + "worktrees.new/" + name
        try removeRecursively(staging)  // what a crash left of an earlier try
        for directory in [commonDirectory + "worktrees", commonDirectory + "worktrees.new", staging, path] where mkdir(directory, 0o777) != 0 && errno != EEXIST {
            throw GitError(systemCall: "mkdir", path: directory)
        }
        try writeFile(path + "/.git", "gitdir: \(record)\n")
        try writeFile(staging + "/commondir", "../..\n")
        try writeFile(staging + "/gitdir", path + "/.git\n")
        try writeFile(staging + "/HEAD", commit.hex + "\n")
        guard rename(staging, record) == 0 else { throw GitError(systemCall: "rename", path: record) }
        let linked = try Repository.open(at: path)
        try linked.checkoutDetached(commit, mode: .force)
    }

    private func writeFile(_ path: String, _ text: String) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw GitError(systemCall: "open", path: path) }
        defer { close(fd) }
        try writeAll(Array(text.utf8), to: fd, path: path)
    }

    /// Removes the linked worktree `name` whose files are at `path`: git's record of it first, moved out of
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

    /// `rm -rf path`, never following a symlink.
    private func removeRecursively(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) {
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(directory)
            for name in names { try removeRecursively(path + "/" + name) }
        }
        guard remove(path) == 0 || errno == ENOENT else { throw GitError(systemCall: "remove", path: path) }
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
