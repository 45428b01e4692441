import CLibGit2

extension Repository {
    /// The paths that differ between two trees (added, changed, deleted; a rename counts as both of its paths).
    public func changedPaths(from old: OID?, to new: OID) throws -> [String] {
        func diff(_ oldHandle: OpaquePointer?, _ newHandle: OpaquePointer) throws -> [String] {
            var diff: OpaquePointer?
            try check(git_diff_tree_to_tree(&diff, pointer, oldHandle, newHandle, nil), "git_diff_tree_to_tree")
            defer { git_diff_free(diff) }
            var paths: [String] = []
            for index in 0..<git_diff_num_deltas(diff) {
                guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
                for file in [delta.old_file, delta.new_file] where file.path != nil {
                    let path = String(cString: file.path)
                    if paths.last != path { paths.append(path) }
                }
            }
            return paths
        }
        return try withTree(new) { newHandle in
            guard let old else { return try diff(nil, newHandle) }
            return try withTree(old) { oldHandle in try diff(oldHandle, newHandle) }
        }
    }
}
