import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// The tree `git add -A && git write-tree` would write for the working tree (untracked files that are not
    /// ignored included), computed on an in-memory copy of the index: the index file is never written.
    /// Changed files are written as blobs, as `git add` would.
    public func workingTreeTree() throws -> OID {
        try withIndex { index in
            // The repository's index object is shared within this process; reload so it reflects the file, then
            // change only memory. git_index_write is never called.
            try check(git_index_read(index, 1), "git_index_read")
            try stageAll(index, skipping: nil)
            var oid = git_oid()
            try check(git_index_write_tree_to(&oid, index, pointer), "git_index_write_tree_to")
            // Leave the shared index as the file says, for whatever this process does next.
            try check(git_index_read(index, 1), "git_index_read")
            return OID(oid)
        }
    }

    /// Stages every change in the working tree (as `git add -A`), except under the directory `protected`, whose index
    /// entries stay as they were; writes the index and returns its tree, and the protected paths that had changed.
    /// For a worktree git aee owns: the written index keeps the stat cache, so the next call hashes only what changed.
    public func stageWorkingTree(protecting protected: String) throws -> (tree: OID, refused: [String]) {
        try withIndex { index in
            try check(git_index_read(index, 0), "git_index_read")
            let refused = PathFilter(protected: protected)
            try stageAll(index, skipping: refused)
            try check(git_index_write(index), "git_index_write")
            var oid = git_oid()
            try check(git_index_write_tree(&oid, index), "git_index_write_tree")
            return (OID(oid), refused.skipped)
        }
    }

    private func withIndex<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        defer { git_index_free(index) }
        return try body(index!)
    }

    /// `git add -A` on `index`: new and changed files added, deleted ones removed; `filter` vetoes paths.
    private func stageAll(_ index: OpaquePointer, skipping filter: PathFilter?) throws {
        let pattern = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
        pattern.initialize(to: strdup("*"))
        defer {
            free(pattern.pointee)
            pattern.deallocate()
        }
        var paths = git_strarray(strings: pattern, count: 1)
        let callback: git_index_matched_path_cb? = filter == nil ? nil : { path, _, payload in
            guard let path, let payload else { return 0 }
            return Unmanaged<PathFilter>.fromOpaque(payload).takeUnretainedValue().skips(String(cString: path)) ? 1 : 0
        }
        let payload = filter.map { Unmanaged.passUnretained($0).toOpaque() }
        try withExtendedLifetime(filter) {
            try check(git_index_add_all(index, &paths, GIT_INDEX_ADD_DEFAULT.rawValue, callback, payload), "git_index_add_all")
            try check(git_index_update_all(index, &paths, callback, payload), "git_index_update_all")
        }
    }

    /// Whether the index records unmerged paths (a merge or rebase stopped on conflicts).
    public func hasConflicts() throws -> Bool {
        try withIndex { index in
            try check(git_index_read(index, 0), "git_index_read")
            return git_index_has_conflicts(index) != 0
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
        return (0..<git_status_list_entrycount(list)).compactMap { index in
            guard let entry = git_status_byindex(list, index)?.pointee else { return nil }
            let delta = entry.index_to_workdir ?? entry.head_to_index
            guard let file = delta?.pointee.new_file.path else { return nil }
            return String(cString: file)
        }
    }
}

/// Vetoes staging of paths under one directory, remembering which it refused (libgit2 calls it per changed path).
private final class PathFilter {
    let prefix: String
    var skipped: [String] = []

    init(protected directory: String) { prefix = directory + "/" }

    func skips(_ path: String) -> Bool {
        guard path.hasPrefix(prefix) || path + "/" == prefix else { return false }
        // add_all and update_all may both report a path.
        if skipped.last != path && !skipped.contains(path) { skipped.append(path) }
        return true
    }
}
