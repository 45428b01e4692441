import CLibGit2

/// How two trees that grew from one ancestor merge: into one tree, or not, naming the paths that conflict.
public enum TreeMerge: Equatable, Sendable {
    case merged(OID)
    case conflicts([String])
}

extension Repository {
    /// Merges `theirs` into `ours`, both grown from `ancestor`, as `git merge` merges their contents (renames found,
    /// the repository's merge attributes honoured); only objects are written, no ref, index or file is touched.
    public func mergeTrees(ancestor: OID, ours: OID, theirs: OID) throws -> TreeMerge {
        try withTree(ancestor) { base in
            try withTree(ours) { ours in
                try withTree(theirs) { theirs in
                    var index: OpaquePointer?
                    var options = git_merge_options()
                    try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)), "git_merge_options_init")
                    try check(git_merge_trees(&index, pointer, base, ours, theirs, &options), "git_merge_trees")
                    defer { git_index_free(index) }
                    if git_index_has_conflicts(index) != 0 { return .conflicts(try conflictedPaths(index!)) }
                    var tree = git_oid()
                    try check(git_index_write_tree_to(&tree, index, pointer), "git_index_write_tree_to")
                    return .merged(OID(tree))
                }
            }
        }
    }

    private func conflictedPaths(_ index: OpaquePointer) throws -> [String] {
        var iterator: OpaquePointer?
        try check(git_index_conflict_iterator_new(&iterator, index), "git_index_conflict_iterator_new")
        defer { git_index_conflict_iterator_free(iterator) }
        var paths: [String] = []
        while true {
            var ancestor: UnsafePointer<git_index_entry>?
            var ours: UnsafePointer<git_index_entry>?
            var theirs: UnsafePointer<git_index_entry>?
            let result = git_index_conflict_next(&ancestor, &ours, &theirs, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_index_conflict_next")
            if let entry = ours ?? theirs ?? ancestor { paths.append(String(cString: entry.pointee.path)) }
        }
        return Array(Set(paths)).sorted()
    }
}
