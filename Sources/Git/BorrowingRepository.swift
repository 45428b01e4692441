import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// A repository of its own for a working tree that untrusted programs use: its objects are borrowed from another
/// repository through `objects/info/alternates`, and it has its own config, HEAD, refs and hooks, so that whatever
/// `git` does there never reaches the repository it borrows from.
extension Repository {
    /// Creates the repository: git directory `gitDirectory`, working tree `root` (which gets a `.git` file naming the
    /// git directory), HEAD on the unborn `branch`, no hooks; `writeBorrowingSettings` then says how git behaves
    /// there. An earlier one at the same place must have been removed.
    public func createBorrowingRepository(gitDirectory: String, workingDirectory root: String, branch: String) throws {
        var options = git_repository_init_options()
        try check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)), "git_repository_init_options_init")
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_NO_REINIT.rawValue | GIT_REPOSITORY_INIT_NO_DOTGIT_DIR.rawValue
        var created: OpaquePointer?
        try root.withCString { rootPath in
            try branch.withCString { head in
                options.workdir_path = rootPath
                options.initial_head = head
                try check(git_repository_init_ext(&created, gitDirectory, &options), "git_repository_init_ext")
            }
        }
        git_repository_free(created)
        let directory = gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/"
        // Whatever the template put there (sample hooks, a description) is not ours to keep.
        try removeRecursively(directory + "hooks")
        guard mkdir(directory + "hooks", 0o777) == 0 else { throw GitError(systemCall: "mkdir", path: directory + "hooks") }
    }

    /// Writes the files of the borrowing repository at `gitDirectory` that say how git behaves there, anew from this
    /// repository and `config`, whatever was there: its config (the core settings of a repository whose working tree
    /// is `root`, then `config`), this repository's objects as its alternate, and this repository's `info/exclude`
    /// and `info/attributes` (so files are ignored and filtered as they are here). Done whenever it is opened for a
    /// run, so nothing a program changed there before survives into it.
    public func writeBorrowingSettings(gitDirectory: String, workingDirectory root: String, config: [(key: String, value: String)]) throws {
        let directory = gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/"
        for name in ["info", "objects/info"] where mkdir(directory + name, 0o777) != 0 && errno != EEXIST {
            throw GitError(systemCall: "mkdir", path: directory + name)
        }
        try replaceFileIfChanged(directory + "objects/info/alternates", with: Array((commonDirectory + "objects\n").utf8))
        for name in ["info/exclude", "info/attributes"] {
            if let bytes = readFile(commonDirectory + name) { try replaceFileIfChanged(directory + name, with: bytes) } else { unlink(directory + name) }
        }
        let fresh = directory + "config.aee-new"
        try removeRecursively(fresh)
        var file: OpaquePointer?
        try check(git_config_open_ondisk(&file, fresh), "git_config_open_ondisk")
        defer { git_config_free(file) }
        // One transaction: libgit2 would otherwise write and rename the whole file for each value.
        var transaction: OpaquePointer?
        try check(git_config_lock(&transaction, file), "git_config_lock")
        defer { git_transaction_free(transaction) }
        let core = [("core.repositoryformatversion", "0"), ("core.bare", "false"), ("core.worktree", root), ("core.logallrefupdates", "false")]
        for (key, value) in core + config {
            try check(git_config_set_multivar(file, key, "^$", Config.escapedForFile(value)), "git_config_set_multivar")
        }
        try check(git_transaction_commit(transaction), "git_transaction_commit")
        guard rename(fresh, directory + "config") == 0 else { throw GitError(systemCall: "rename", path: directory + "config") }
    }

    /// Opens the borrowing repository at `gitDirectory` so that every object git aee reads or writes through it is
    /// this repository's (one object database), and its index is the file `indexFile` rather than the one `git` uses
    /// there, which the program working in it may change at will.
    public func openBorrowingRepository(gitDirectory: String, indexFile: String) throws -> Repository {
        let borrowing = try Repository.open(at: gitDirectory)
        var database: OpaquePointer?
        try check(git_repository_odb(&database, pointer), "git_repository_odb")
        defer { git_odb_free(database) }
        try check(git_repository_set_odb(borrowing.pointer, database), "git_repository_set_odb")
        var index: OpaquePointer?
        try check(git_index_open(&index, indexFile), "git_index_open")
        defer { git_index_free(index) }
        try check(git_repository_set_index(borrowing.pointer, index), "git_repository_set_index")
        // As an index the repository opens itself: core.filemode, core.symlinks and core.ignorecase apply to what is
        // staged (libgit2 trusts the executable bit of an index opened by path).
        try check(git_index_set_caps(index, Int32(GIT_INDEX_CAPABILITY_FROM_OWNER.rawValue)), "git_index_set_caps")
        ExternalFilters.register(for: borrowing)
        return borrowing
    }

    /// Copies into this repository's object database the objects of the commit `tip` and its history, as far as this
    /// repository does not have them, from the object files in `objectsDirectory` itself (loose or packed, not its
    /// alternates): what `git commit` wrote in a borrowing repository. Each is checked first as `git fsck --strict`
    /// would (a complete history; well-formed commits; trees sorted, without duplicate, `.git`, `.` or `..` names
    /// and with known modes), and nothing is copied unless all are sound. `screen` is asked about each commit and
    /// blob to be copied (its id, whether it is a commit, its bytes); a reason it gives leaves all of them out too.
    /// Returns why not, or nil once copied.
    public func importHistory(of tip: OID, from objectsDirectory: String,
                              screen: (_ oid: OID, _ isCommit: Bool, _ bytes: [UInt8]) -> String? = { _, _, _ in nil }) throws -> String? {
        var source: OpaquePointer?
        try check(git_odb_new(&source), "git_odb_new")
        defer { git_odb_free(source) }
        var loose: OpaquePointer?
        try check(git_odb_backend_loose(&loose, objectsDirectory, -1, 0, 0, 0), "git_odb_backend_loose")
        try check(git_odb_add_backend(source, loose, 2), "git_odb_add_backend")
        var packs: OpaquePointer?
        try check(git_odb_backend_pack(&packs, objectsDirectory), "git_odb_backend_pack")
        try check(git_odb_add_backend(source, packs, 1), "git_odb_add_backend")
        var target: OpaquePointer?
        try check(git_repository_odb(&target, pointer), "git_repository_odb")
        defer { git_odb_free(target) }

        var found: [(oid: git_oid, type: git_object_t, data: [UInt8])] = []
        var seen: Set<OID> = []
        var pending: [(OID, git_object_t, GitFile?)] = [(tip, GIT_OBJECT_COMMIT, nil)]
        while let (oid, type, file) = pending.popLast() {
            guard seen.insert(oid).inserted else { continue }
            var raw = oid.raw
            if git_odb_exists(target, &raw) != 0 { continue }
            var object: OpaquePointer?
            guard git_odb_read(&object, source, &raw) == 0 else { return "object \(oid.hex) is missing" }
            defer { git_odb_object_free(object) }
            guard git_odb_object_type(object) == type else { return "object \(oid.hex) is not the type that refers to it says" }
            let data = Array(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
            switch type {
            case GIT_OBJECT_COMMIT:
                guard let links = ObjectCheck.commit(data) else { return "commit \(oid.hex) is malformed" }
                pending += [(links.tree, GIT_OBJECT_TREE, nil)] + links.parents.map { ($0, GIT_OBJECT_COMMIT, nil) }
            case GIT_OBJECT_TREE:
                guard let entries = ObjectCheck.tree(data) else { return "tree \(oid.hex) is malformed, or names a file git refuses" }
                pending += entries
            default:
                if let problem = file?.problem(in: data) { return "blob \(oid.hex): \(problem)" }
            }
            if type == GIT_OBJECT_COMMIT || type == GIT_OBJECT_BLOB, let reason = screen(oid, type == GIT_OBJECT_COMMIT, data) { return reason }
            found.append((raw, type, data))
        }
        for object in found {
            var written = git_oid()
            try check(object.data.withUnsafeBytes { git_odb_write(&written, target, $0.baseAddress, $0.count, object.type) }, "git_odb_write")
        }
        return nil
    }

    /// Copies git aee's index (the file this handle's index lives in) over the one `git` uses in this repository, so
    /// that `git status` there shows only what changed since git aee's last commit. A copy, not a link: a program
    /// that wrote git's index in place would otherwise change git aee's, and hide its changes from the staging.
    public func publishIndex() throws {
        try withIndex { index in
            guard let path = git_index_path(index), let bytes = readFile(String(cString: path)) else { return }
            try replaceFile(gitDirectory + "index", with: bytes)
        }
    }
}

extension Repository {
    /// The commits this repository alone has: reachable from HEAD or a local branch, but not from a remote-tracking
    /// branch (so not on the remote it was cloned from) and not in the object database at `objectsDirectory` (nil:
    /// none to compare with). For a submodule an agent committed in: what removing it would lose.
    public func commitsFoundOnlyHere(comparedWith objectsDirectory: String?) throws -> [OID] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new")
        defer { git_revwalk_free(walk) }
        if let head = headCommit() {
            var raw = head.raw
            try check(git_revwalk_push(walk, &raw), "git_revwalk_push")
        }
        for (_, target) in try references(matching: "refs/heads/*") {
            var raw = target.raw
            try check(git_revwalk_push(walk, &raw), "git_revwalk_push")
        }
        for (_, target) in try references(matching: "refs/remotes/*") {
            var raw = target.raw
            _ = git_revwalk_hide(walk, &raw)
        }
        var other: OpaquePointer?
        if let objectsDirectory, access(objectsDirectory, F_OK) == 0 { _ = git_odb_open(&other, objectsDirectory) }
        defer { git_odb_free(other) }
        var found: [OID] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk) == 0 {
            if let other, git_odb_exists(other, &next) != 0 { continue }
            found.append(OID(next))
        }
        return found
    }
}
