import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// The tree `git add -A && git write-tree` would write for the working tree (untracked files that are not
    /// ignored included), computed on an in-memory copy of the index: the index file is never written.
    /// Changed files are written as blobs, as `git add` would.
    public func workingTreeTree() throws -> OID {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        defer { git_index_free(index) }
        // The repository's index object is shared within this process; reload so it reflects the file, then
        // change only memory. git_index_write is never called.
        try check(git_index_read(index, 1), "git_index_read")
        let pattern = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
        pattern.initialize(to: strdup("*"))
        defer {
            free(pattern.pointee)
            pattern.deallocate()
        }
        var paths = git_strarray(strings: pattern, count: 1)
        try check(git_index_add_all(index, &paths, GIT_INDEX_ADD_DEFAULT.rawValue, nil, nil), "git_index_add_all")
        try check(git_index_update_all(index, &paths, nil, nil), "git_index_update_all")
        var oid = git_oid()
        try check(git_index_write_tree_to(&oid, index, pointer), "git_index_write_tree_to")
        // Leave the shared index as the file says, for whatever this process does next.
        try check(git_index_read(index, 1), "git_index_read")
        return OID(oid)
    }

    /// Whether the index records unmerged paths (a merge or rebase stopped on conflicts).
    public func hasConflicts() throws -> Bool {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "git_repository_index")
        defer { git_index_free(index) }
        try check(git_index_read(index, 0), "git_index_read")
        return git_index_has_conflicts(index) != 0
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
