import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

extension Repository {
    /// Writes the files of `tree` into `directory` (which need not be a worktree), leaving the index, HEAD and the
    /// working tree alone: a scratch copy of a commit for gates to judge.
    public func checkout(tree: OID, into directory: String) throws {
        try withTree(tree) { handle in
            var options = git_checkout_options()
            try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "git_checkout_options_init")
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_UPDATE_INDEX.rawValue
            try directory.withCString { path in
                options.target_directory = path
                try check(git_checkout_tree(pointer, handle, &options), "git_checkout_tree")
            }
        }
    }

    /// The commit an object id leads to (a commit, or an annotated tag of one), or nil for anything else.
    public func peelToCommit(_ oid: OID) throws -> OID? {
        var object: OpaquePointer?
        var raw = oid.raw
        let result = git_object_lookup(&object, pointer, &raw, GIT_OBJECT_ANY)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_object_lookup")
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, object, GIT_OBJECT_COMMIT) == 0 else { return nil }
        defer { git_object_free(peeled) }
        return OID(git_object_id(peeled).pointee)
    }

    /// The commit a revision (`HEAD~2`, `main`, an abbreviated id) names, as `git rev-parse <rev>^{commit}` finds it;
    /// nil when it names none.
    public func commit(named revision: String) throws -> OID? {
        var object: OpaquePointer?
        let result = git_revparse_single(&object, pointer, revision)
        if result == GIT_ENOTFOUND.rawValue || result == GIT_EAMBIGUOUS.rawValue || result == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(result, "git_revparse_single")
        defer { git_object_free(object) }
        return try peelToCommit(OID(git_object_id(object).pointee))
    }
}

/// How a checkout treats files that differ from what HEAD says.
public enum CheckoutMode: Sendable {
    /// Refuse to overwrite local changes (git's own behaviour for `switch`).
    case safe
    /// Make the files match, discarding local changes; for worktrees git aee owns.
    case force
    /// As `force`, and remove untracked files too (ignored ones stay): exactly the commit, for a workspace git aee owns.
    case exact
    /// As `exact`, and remove ignored files and repositories inside the tree too: the commit and nothing else, as a
    /// fresh checkout would be.
    case pristine
}

extension Repository {
    /// Makes the working tree and index match `commit` (only under `paths` when given) and detaches HEAD there.
    public func checkoutDetached(_ commit: OID, paths: [String]? = nil, mode: CheckoutMode) throws {
        try checkout(commit, paths: paths, mode: mode)
        try detachHead(at: commit)
    }

    /// Makes the working tree and index match `commit` (only under `paths` when given); HEAD is left alone.
    /// With `.force` and `paths`, untracked files under those paths are removed too. Without `writingIndex` the
    /// index is left as it is (to put files back when the index could not be written).
    public func checkout(_ commit: OID, paths: [String]? = nil, mode: CheckoutMode, writingIndex: Bool = true) throws {
        let tree = try self.commit(commit).tree
        if mode != .safe { try clearDirectories(of: tree, under: paths) }
        // Into a working tree holding nothing yet: one walk of the tree says whether a filter can apply and how to
        // split the writing in two.
        let census = try workingDirectory.map { holdsNothing(but: ".git", in: $0) } == true ? TreeCensus(of: tree, in: self) : nil
        let unfiltered = try census.map { try !filtersMayApply($0) } ?? false
        if let census, unfiltered, paths == nil, mode != .safe, writingIndex, try checkoutSplit(tree, census) { return }
        try withTree(tree) { handle in
            var options = git_checkout_options()
            try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), "git_checkout_options_init")
            switch mode {
            case .safe: options.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue
            case .force: options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | (paths == nil ? 0 : GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue)
            case .exact: options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue
            case .pristine:
                options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue | GIT_CHECKOUT_REMOVE_IGNORED.rawValue
            }
            if !writingIndex { options.checkout_strategy |= GIT_CHECKOUT_DONT_WRITE_INDEX.rawValue }
            options.disable_filters = unfiltered ? 1 : 0
            let root = LinkedFiles(root: workingDirectory ?? "")
            if mode != .safe {
                options.notify_flags = GIT_CHECKOUT_NOTIFY_UPDATED.rawValue | GIT_CHECKOUT_NOTIFY_DIRTY.rawValue
                    | (mode == .pristine ? GIT_CHECKOUT_NOTIFY_UNTRACKED.rawValue | GIT_CHECKOUT_NOTIFY_IGNORED.rawValue : 0)
                options.notify_cb = { why, path, baseline, target, workdir, payload in
                    guard let path, let payload else { return 0 }
                    let files = Unmanaged<LinkedFiles>.fromOpaque(payload).takeUnretainedValue()
                    if why == GIT_CHECKOUT_NOTIFY_UNTRACKED || why == GIT_CHECKOUT_NOTIFY_IGNORED {
                        files.untracked.append(String(cString: path))
                    } else {
                        files.unlinkIfWrittenThrough(path, baseline, target, workdir)
                    }
                    return 0
                }
                options.notify_payload = Unmanaged.passUnretained(root).toOpaque()
            }
            try withStringArray(paths ?? []) { array in
                if paths != nil { options.paths = array }
                try check(git_checkout_tree(pointer, handle, &options), "git_checkout_tree")
            }
            // libgit2 removes every untracked and ignored file but a repository inside the tree (an agent's `git init`
            // or clone). Only what is one once it is done goes: libgit2 also reports a folder it replaced with a file.
            for path in root.untracked where root.isRepository(path) { try removeRecursively(root.root + path) }
        }
    }
}

/// The working tree a forced checkout writes into, told of each file it is about to write, and of each it leaves
/// untracked or ignored.
private final class LinkedFiles {
    let root: String
    /// What the checkout found untracked or ignored (a folder's path ends with `/`).
    var untracked: [String] = []
    init(root: String) { self.root = root }

    /// Whether `path` is a folder holding `.git`, reached through folders only (never a link, which could lead out
    /// of the tree).
    func isRepository(_ path: String) -> Bool {
        var place = root
        var info = stat()
        for component in path.split(separator: "/") {
            place += component
            guard lstat(place, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return false }
            place += "/"
        }
        return lstat(place + ".git", &info) == 0
    }

    /// libgit2 writes a file's new content through a symbolic link standing in its place (one an agent made, or the
    /// last task left in a pooled workspace) when it does not see the type change itself: into whatever the link
    /// names, outside the working tree too. The link goes first, so a file is written where the link was. Where the
    /// baseline has the link, libgit2 removes it itself and is left to.
    func unlinkIfWrittenThrough(_ path: UnsafePointer<CChar>, _ baseline: UnsafePointer<git_diff_file>?, _ target: UnsafePointer<git_diff_file>?,
                                _ workdir: UnsafePointer<git_diff_file>?) {
        let link = UInt32(GIT_FILEMODE_LINK.rawValue)
        guard let target, UInt32(target.pointee.mode) != link, UInt32(target.pointee.mode) != UInt32(GIT_FILEMODE_TREE.rawValue),
              let workdir, UInt32(workdir.pointee.mode) == link, baseline.map({ UInt32($0.pointee.mode) != link }) ?? true else { return }
        unlink(root + String(cString: path))
    }
}

extension Repository {
    /// Unlinks whatever stands on disk where `tree` has a directory but is not one: libgit2's forced checkout writes
    /// through a symlink an agent put in place of a directory, which would reach outside the working tree.
    func clearDirectories(of tree: OID, under paths: [String]?) throws {
        guard let root = workingDirectory else { return }
        func visit(_ tree: OpaquePointer, _ prefix: String) throws {
            for index in 0..<git_tree_entrycount(tree) {
                guard let entry = git_tree_entry_byindex(tree, index), git_tree_entry_type(entry) == GIT_OBJECT_TREE else { continue }
                let path = prefix + String(cString: git_tree_entry_name(entry))
                if let paths, !paths.contains(where: { path == $0 || path.hasPrefix($0 + "/") || $0.hasPrefix(path + "/") }) { continue }
                var info = stat()
                guard lstat(root + path, &info) == 0 else { continue }
                if info.st_mode & S_IFMT != S_IFDIR {
                    guard unlink(root + path) == 0 else { throw GitError(systemCall: "unlink", path: path) }
                    continue
                }
                try withTree(OID(git_tree_entry_id(entry).pointee)) { try visit($0, path + "/") }
            }
        }
        try withTree(tree) { try visit($0, "") }
    }
}
