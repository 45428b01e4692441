import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// What `git add -A` staged.
public struct StagedChanges: Sendable {
    /// The paths staged: added, changed or removed.
    public var changed: [String] = []
    /// Changed paths under the protected directory, left as they were.
    public var refused: [String] = []
    /// Repositories inside the working tree recorded as gitlinks (their files are not in the commit).
    public var embeddedRepositories: [String] = []
    /// Repositories inside the working tree that have no commit to record, left out.
    public var notStaged: [String] = []
    /// The ignored files and directories (a directory once, with a trailing `/`), as `ignoredPaths` lists them.
    public var ignored: [String] = []

    public init() {}
}

extension Repository {
    /// Whether `path` (relative to the working tree's root) is in the index: a file git tracks.
    public func isTracked(_ path: String) throws -> Bool {
        try withIndex { index in git_index_get_bypath(index, path, 0) != nil }
    }

    /// The paths of the gitlinks (submodules, and repositories recorded as `git add` records one) in the index file
    /// at `indexFile`.
    public static func gitlinkPaths(inIndexFile indexFile: String) throws -> [String] {
        var index: OpaquePointer?
        try check(git_index_open(&index, indexFile), "git_index_open")
        defer { git_index_free(index) }
        return (0..<git_index_entrycount(index)).compactMap { position in
            guard let entry = git_index_get_byindex(index, position), entry.pointee.mode == GIT_FILEMODE_COMMIT.rawValue else { return nil }
            return String(cString: entry.pointee.path)
        }
    }

    /// The bytes the index's files take in the working tree, as last staged (about what a checkout of it writes); nil
    /// for a bare repository.
    public func indexedFileBytes() throws -> UInt64? {
        guard workingDirectory != nil else { return nil }
        return try withIndex { index in
            (0..<git_index_entrycount(index)).reduce(UInt64(0)) { $0 + UInt64(git_index_get_byindex(index, $1)?.pointee.file_size ?? 0) }
        }
    }

    /// Whether `git add` leaves `path` (relative to the working tree's root) out by the ignore rules.
    public func isIgnored(_ path: String, isDirectory: Bool) throws -> Bool {
        var rules = try ignoreRules()
        return rules.isIgnored(path, isDirectory: isDirectory)
    }

    /// The tree `git add -A && git write-tree` would write for the working tree (untracked files that are not
    /// ignored included), computed on an in-memory copy of the index: the index file is never written.
    /// Changed files are written as blobs, as `git add` would. In a sparse checkout it is the tree of the files that
    /// are there (those it leaves out count as deleted): the tree a gate run there sees, never one it did not.
    public func workingTreeTree() throws -> OID {
        try withIndex { index in
            // The repository's index object is shared within this process; reload so it reflects the file, then
            // change only memory. git_index_write is never called.
            try check(git_index_read(index, 1), "git_index_read")
            _ = try stageAll(index, protecting: nil)
            var oid = git_oid()
            try check(git_index_write_tree_to(&oid, index, pointer), "git_index_write_tree_to")
            // Leave the shared index as the file says, for whatever this process does next.
            try check(git_index_read(index, 1), "git_index_read")
            return OID(oid)
        }
    }

    /// Stages every change in the working tree (as `git add -A`) in the in-memory index, except under the directory
    /// `protected`, whose entries stay as they were. For a worktree git aee owns: `indexTree` makes the commit's tree
    /// from it, and `syncFiles` writes the index file, keeping the stat cache, so the next call hashes only what changed.
    public func stageWorkingTree(protecting protected: String) throws -> StagedChanges {
        try withIndex { index in
            try check(git_index_read(index, 0), "git_index_read")
            return try stageAll(index, protecting: protected)
        }
    }

    /// The tree of the in-memory index with `updates` (blobs, or nil to remove) applied to it: what was staged plus
    /// records, written as the one tree a commit will use.
    public func indexTree(adding updates: [TreeUpdate]) throws -> OID {
        try withIndex { index in
            for update in updates {
                guard let blob = update.blob, !update.isTree else {
                    if git_index_get_bypath(index, update.path, 0) != nil {
                        try check(git_index_remove_bypath(index, update.path), "git_index_remove_bypath")
                    }
                    continue
                }
                var entry = git_index_entry()
                entry.mode = GIT_FILEMODE_BLOB.rawValue
                entry.id = blob.raw
                try update.path.withCString { path in
                    entry.path = path
                    try check(git_index_add(index, &entry), "git_index_add")
                }
            }
            var oid = git_oid()
            try check(git_index_write_tree(&oid, index), "git_index_write_tree")
            return OID(oid)
        }
    }

    /// Makes the index hold exactly `commit`'s tree, with no stat data (so every file is compared by content next).
    public func resetIndex(to commit: OID) throws {
        let tree = try self.commit(commit).tree
        try withTree(tree) { handle in
            try withIndex { index in
                try check(git_index_read_tree(index, handle), "git_index_read_tree")
                try check(git_index_write(index), "git_index_write")
            }
        }
    }

    /// Writes the in-memory index (what `stageWorkingTree` staged) to the index file.
    public func writeIndex() throws {
        try withIndex { try check(git_index_write($0), "git_index_write") }
    }

    @discardableResult
    func withIndex<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        defer { git_index_free(index) }
        return try body(index!)
    }

    /// `git add -A` on `index`: new and changed files added, deleted ones removed, nothing under the directory
    /// `protected`. One walk of the working tree (git_index_add_all and git_index_update_all would take two), most
    /// of a work item's cost in a large repository.
    private func stageAll(_ index: OpaquePointer, protecting protected: String?) throws -> StagedChanges {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        // Ignored entries too (the top of each ignored directory, not what is inside): libgit2 reports a repository in
        // the tree whose only content is its `.git` as ignored, where git adds it.
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue | GIT_DIFF_INCLUDE_IGNORED.rawValue
            | GIT_DIFF_INCLUDE_TYPECHANGE.rawValue | GIT_DIFF_UPDATE_INDEX.rawValue | GIT_DIFF_SKIP_BINARY_CHECK.rawValue
        var diff: OpaquePointer?
        try check(git_diff_index_to_workdir(&diff, pointer, index, &options), "git_diff_index_to_workdir")
        defer { git_diff_free(diff) }
        var staged = StagedChanges()
        var rules: IgnoreRules?
        // Deltas come sorted by path, so a file that became a directory is removed before what replaces it is added.
        for number in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, number)?.pointee, let raw = delta.new_file.path else { continue }
            let path = String(cString: raw)
            if let protected, path == protected || path.hasPrefix(protected + "/") {
                staged.refused.append(path)
                continue
            }
            if delta.status == GIT_DELTA_IGNORED {
                // libgit2's verdict, checked against git's rules; also how a repository whose only content is its
                // `.git` is reported.
                if rules == nil { rules = try ignoreRules() }
                try stageIfNotIgnored(path, rules: &rules!, in: index, into: &staged)
                continue
            }
            if path.hasSuffix("/") {
                // An untracked directory libgit2 did not enter, because it holds a repository of its own (`git init`, a clone).
                try stageEmbeddedRepository(String(path.dropLast()), in: index, into: &staged)
                continue
            }
            if delta.new_file.flags & GIT_DIFF_FLAG_EXISTS.rawValue == 0 {
                try check(git_index_remove_bypath(index, raw), "git_index_remove_bypath")
                staged.changed.append(path)
            } else {
                try add(path, to: index, into: &staged)
            }
        }
        return staged
    }

    /// Stages the file at `path`, unless `git fsck --strict` would reject it: then it is refused.
    private func add(_ path: String, to index: OpaquePointer, into staged: inout StagedChanges) throws {
        guard !refusedByFsck(path) else { return staged.refused.append(path) }
        try check(git_index_add_bypath(index, path), "git_index_add_bypath")
        staged.changed.append(path)
    }

    /// Whether the file at `path` would make a tree `git fsck --strict` rejects (and a server checking pushes
    /// refuses): a name git on macOS or Windows takes for `.git`, a `.gitmodules` or `.gitattributes` that is a link
    /// or holds what fsck refuses (`GitFile.problem`). `git add` takes these on Linux; git aee leaves them out.
    private func refusedByFsck(_ path: String) -> Bool {
        let parts = path.split(separator: "/").map { Array($0.utf8) }
        if parts.contains(where: GitFile.isDotGit) { return true }
        guard let last = parts.last, let file = GitFile(name: last) else { return false }
        let full = (workingDirectory ?? "") + path
        guard !isLink(full), let content = readFile(full) else { return true }
        return file.problem(in: content) != nil
    }

    /// Whether `index` marks `path` skip-worktree: a sparse checkout leaves the file out of the working tree.
    private static func skipsWorktree(_ path: UnsafePointer<CChar>, in index: OpaquePointer) -> Bool {
        guard let entry = git_index_get_bypath(index, path, 0) else { return false }
        return UInt32(entry.pointee.flags_extended) & GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue != 0
    }

    /// git's ignore rules for this working tree: its `.gitignore` files, `info/exclude`, and `core.excludesFile`
    /// (by default `$XDG_CONFIG_HOME/git/ignore`).
    private func ignoreRules() throws -> IgnoreRules {
        IgnoreRules(root: workingDirectory ?? "", globalFiles: [gitDirectory + "info/exclude", try userFile(setBy: "core.excludesfile", named: "ignore")])
    }

    /// Stages `path` (a file, or a directory ending with `/`), which libgit2 reported as ignored, unless git's rules
    /// ignore it too; a directory is walked, each entry judged the same way.
    private func stageIfNotIgnored(_ path: String, rules: inout IgnoreRules, in index: OpaquePointer, into staged: inout StagedChanges) throws {
        let isDirectory = path.hasSuffix("/")
        let name = isDirectory ? String(path.dropLast()) : path
        guard let root = workingDirectory else { return }
        guard !rules.isIgnored(name, isDirectory: isDirectory) else { return staged.ignored.append(path) }
        guard isDirectory else { return try add(name, to: index, into: &staged) }
        if access(root + name + "/.git", F_OK) == 0 { return try stageEmbeddedRepository(name, in: index, into: &staged) }
        for entry in directoryEntries(root + name) where entry != ".git" {
            var info = stat()
            guard lstat(root + name + "/" + entry, &info) == 0 else { continue }
            try stageIfNotIgnored(name + "/" + entry + (info.st_mode & S_IFMT == S_IFDIR ? "/" : ""), rules: &rules, in: index, into: &staged)
        }
    }

    /// What `git add` does with a repository inside the working tree: records its HEAD commit as a gitlink (git warns
    /// "adding embedded git repository"), or, when it has no commit checked out, refuses it (git's "does not have a
    /// commit checked out").
    private func stageEmbeddedRepository(_ path: String, in index: OpaquePointer, into staged: inout StagedChanges) throws {
        guard let root = workingDirectory, let embedded = try? Repository.open(at: root + path, searching: false),
              let head = embedded.headCommit() else {
            staged.notStaged.append(path)
            return
        }
        var entry = git_index_entry()
        entry.mode = GIT_FILEMODE_COMMIT.rawValue
        entry.id = head.raw
        try path.withCString { cPath in
            entry.path = cPath
            try check(git_index_add(index, &entry), "git_index_add")
        }
        staged.changed.append(path)
        staged.embeddedRepositories.append(path)
    }

    /// Whether the index records unmerged paths (a merge or rebase stopped on conflicts).
    public func hasConflicts() throws -> Bool {
        try withIndex { index in
            try check(git_index_read(index, 0), "git_index_read")
            return git_index_has_conflicts(index) != 0
        }
    }

    /// The ignored files and directories of the working tree (a directory once, with a trailing `/`), and with
    /// `andUntracked` the untracked ones too (repositories inside the tree among them, which a checkout leaves).
    public func ignoredPaths(andUntracked: Bool = false) throws -> [String] {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        options.show = GIT_STATUS_SHOW_WORKDIR_ONLY
        options.flags = GIT_STATUS_OPT_INCLUDE_IGNORED.rawValue | (andUntracked ? GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue : 0)
        let wanted = GIT_STATUS_IGNORED.rawValue | (andUntracked ? GIT_STATUS_WT_NEW.rawValue : 0)
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &options), "git_status_list_new")
        defer { git_status_list_free(list) }
        return (0..<git_status_list_entrycount(list)).compactMap { index in
            guard let entry = git_status_byindex(list, index)?.pointee, entry.status.rawValue & wanted != 0,
                  let file = entry.index_to_workdir?.pointee.new_file.path else { return nil }
            return String(cString: file)
        }
    }

    /// Paths that differ from HEAD in the index or the working tree, untracked ones included (ignored ones not).
    public func changedPaths() throws -> [String] {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "git_status_options_init")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &options), "git_status_list_new")
        defer { git_status_list_free(list) }
        return try withIndex { index in
            (0..<git_status_list_entrycount(list)).compactMap { position in
                guard let entry = git_status_byindex(list, position)?.pointee else { return nil }
                // A sparse checkout's file outside its cone is missing on purpose, which git does not call a change.
                if entry.head_to_index == nil, entry.status.rawValue & GIT_STATUS_WT_DELETED.rawValue != 0,
                   let file = entry.index_to_workdir?.pointee.old_file.path, Self.skipsWorktree(file, in: index) { return nil }
                let delta = entry.index_to_workdir ?? entry.head_to_index
                guard let file = delta?.pointee.new_file.path else { return nil }
                return String(cString: file)
            }
        }
    }
}

