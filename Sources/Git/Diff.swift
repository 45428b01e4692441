import CLibGit2

extension Repository {
    /// The paths that differ between two trees (added, changed, deleted, or with a new mode), sorted.
    /// Subtrees with the same id on both sides are never opened, so the cost follows the size of the change,
    /// not of the trees: one work item in a 100,000-file repository reads a handful of trees.
    public func changedPaths(from old: OID?, to new: OID) throws -> [String] {
        var change = TreeChange()
        try collectChanges(from: old, to: new, prefix: "", into: &change)
        return change.paths.sorted()
    }

    /// The directories of tree `old` that tree `new` has as a file, a link or a submodule instead, sorted: a checkout
    /// from one to the other must remove each, with whatever untracked files it holds.
    public func directoriesReplaced(from old: OID, to new: OID) throws -> [String] {
        var change = TreeChange()
        try collectChanges(from: old, to: new, prefix: "", into: &change)
        return change.directoriesReplaced.sorted()
    }

    private struct TreeChange {
        var paths: [String] = []
        var directoriesReplaced: [String] = []
    }

    private func collectChanges(from old: OID?, to new: OID?, prefix: String, into change: inout TreeChange) throws {
        guard old != new else { return }
        var before: [String: TreeEntry] = [:]
        for entry in try old.map(entries(ofTree:)) ?? [] { before[entry.name] = entry }
        for entry in try new.map(entries(ofTree:)) ?? [] {
            try compare(before.removeValue(forKey: entry.name), entry, path: prefix + entry.name, into: &change)
        }
        for entry in before.values {
            try compare(entry, nil, path: prefix + entry.name, into: &change)
        }
    }

    /// One name on both sides: a file (or submodule, or symlink) that differs is a changed path; a directory on
    /// either side is walked for what it holds.
    private func compare(_ old: TreeEntry?, _ new: TreeEntry?, path: String, into change: inout TreeChange) throws {
        guard old != new else { return }
        let oldFile = old.map { !$0.isTree } ?? false
        let newFile = new.map { !$0.isTree } ?? false
        if oldFile || newFile { change.paths.append(path) }
        let oldTree = old?.isTree == true ? old?.oid : nil
        let newTree = new?.isTree == true ? new?.oid : nil
        if oldTree != nil, newFile { change.directoriesReplaced.append(path) }
        if oldTree != nil || newTree != nil {
            try collectChanges(from: oldTree, to: newTree, prefix: path + "/", into: &change)
        }
    }
}

extension Repository {
    /// Of `paths`, those whose file in the working tree is as commit `commit` has it (its content through the
    /// filters, and its mode), or absent where the commit has none.
    public func pathsAsInWorkingTree(_ commit: OID, among paths: [String]) throws -> Set<String> {
        guard !paths.isEmpty else { return [] }
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
        var differing: Set<String> = []
        try withTree(try self.commit(commit).tree) { tree in
            try withStringArray(paths) { array in
                options.pathspec = array
                var diff: OpaquePointer?
                try check(git_diff_tree_to_workdir(&diff, pointer, tree, &options), "git_diff_tree_to_workdir")
                defer { git_diff_free(diff) }
                for position in 0..<git_diff_num_deltas(diff) {
                    guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
                    for file in [delta.old_file, delta.new_file] where file.path != nil { differing.insert(String(cString: file.path)) }
                }
            }
        }
        return Set(paths).subtracting(differing)
    }
}
