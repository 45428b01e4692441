import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// The files of a borrowing repository's git directory that say how git behaves there (config, info/exclude,
/// info/attributes, alternates), as git aee wrote them, so that what a program changed in them can be found and
/// undone. Held in memory for a run, never read back from disk, where a program could change it; `directory` holds
/// only the copies a restore writes to name the config keys that changed.
public struct GitDirectoryBaseline: Sendable {
    /// The directory for the copies a restore compares with.
    public let directory: String
    /// Each file's bytes, by name; a file that should not exist is absent.
    let contents: [String: [UInt8]]

    /// `global-config` is not git's: it is the file git aee names in `GIT_CONFIG_GLOBAL` for programs run there, so
    /// that `git config --global` changes the workspace and not the user's own global config.
    static let files = ["config", "info/exclude", "info/attributes", "objects/info/alternates", GitDirectoryBaseline.globalConfig]
    /// Files that would send git somewhere else (another repository's refs and config, other objects, a shallow or
    /// grafted history): none belongs in a workspace's git directory, so any is removed.
    static let redirections = ["commondir", "gitdir", "worktrees", "shallow", "info/grafts", "objects/info/http-alternates"]
    /// The directories the files above live in; each must be a directory of the git directory's own, never a link
    /// that would lead a restore to write, or a clean-up to delete, somewhere else.
    static let directories = ["hooks", "info", "objects", "objects/info"]
    public static let globalConfig = "global-config"

    /// The files as they are now in `gitDirectory`; `directory` is where a restore puts its copies.
    public init(of gitDirectory: String, copiesIn directory: String) {
        self.directory = directory
        var contents: [String: [UInt8]] = [:]
        for name in Self.files {
            if let bytes = readFile(gitDirectory + "/" + name) { contents[name] = bytes }
        }
        self.contents = contents
    }
}

extension String {
    fileprivate var replacingSlashes: String { split(separator: "/").joined(separator: "-") }
}

extension Repository {
    /// The commit HEAD leads to now, or nil when it leads nowhere (unborn, or broken).
    public func headCommit() -> OID? {
        var oid = git_oid()
        return git_reference_name_to_id(&oid, pointer, "HEAD") == 0 ? OID(oid) : nil
    }

    /// Puts this repository's git directory back to what git aee set up: the files of `baseline`, no hooks, no refs
    /// but `branch`, which points at `commit`, with HEAD on it. Returns what had been changed, one line each, so it
    /// can be reported; names only, never values, which may be secrets.
    public func restoreGitDirectory(from baseline: GitDirectoryBaseline, branch: String, at commit: OID) throws -> [String] {
        let directory = gitDirectory
        var changes = try Self.removeRedirections(in: directory)
        for name in GitDirectoryBaseline.files {
            let saved = baseline.contents[name]
            let now = readFile(directory + name)
            guard saved != now else { continue }
            // Config files are told apart key by key, from the copy held in memory (the one on disk may have been
            // written over too).
            var keys: [String] = []
            if name == "config" || name == GitDirectoryBaseline.globalConfig, let saved, now != nil {
                let expected = baseline.directory + "/" + name.replacingSlashes + ".expected"
                // Nothing else writes the folder: an agent may have removed it, or put something in its place.
                try makeRealDirectory(baseline.directory, levels: 1)
                try replaceFile(expected, with: saved)
                keys = (try? Self.configKeysDiffering(expected, directory + name)) ?? []
            }
            changes += keys.isEmpty ? ["\(name) changed"] : keys.map { "\(name): \($0) changed" }
            if let saved { try replaceFile(directory + name, with: saved) } else { unlink(directory + name) }
        }
        for hook in directoryEntries(directory + "hooks") {
            changes.append("hook \(hook) written")
            try removeRecursively(directory + "hooks/" + hook)
        }
        var head: OpaquePointer?
        if git_reference_lookup(&head, pointer, "HEAD") == 0 {
            let target = git_reference_symbolic_target(head).map { String(cString: $0) }
            if target != branch { changes.append("HEAD moved to " + (target ?? "a detached commit")) }
            git_reference_free(head)
        } else {
            changes.append("HEAD removed")
        }
        for name in try referenceNames() where name != branch {
            changes.append("ref \(name) written")
            var reference: OpaquePointer?
            guard git_reference_lookup(&reference, pointer, name) == 0 else { continue }
            defer { git_reference_free(reference) }
            try check(writingRef(name) { git_reference_delete(reference) }, "git_reference_delete")
        }
        try setBranch(branch, to: commit)
        return changes
    }

    /// Removes from the git directory at `directory` (ending with `/`) what would send git elsewhere, and makes its
    /// own directories real ones again; returns what it found. Done before the directory is opened too: libgit2
    /// follows a `commondir` file to another repository's refs.
    public static func removeRedirections(in directory: String) throws -> [String] {
        var changes: [String] = []
        for name in GitDirectoryBaseline.directories {
            var info = stat()
            guard lstat(directory + name, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR else { continue }
            changes.append("\(name) replaced")
            try removeRecursively(directory + name)
            guard mkdir(directory + name, 0o777) == 0 else { throw GitError(systemCall: "mkdir", path: directory + name) }
        }
        for name in GitDirectoryBaseline.redirections where access(directory + name, F_OK) == 0 || isLink(directory + name) {
            changes.append("\(name) written")
            try removeRecursively(directory + name)
        }
        return changes
    }

    /// Points `branch` at `commit` whatever it pointed at, and HEAD at `branch`: for a repository git aee owns.
    /// What is already so is not written again.
    public func setBranch(_ branch: String, to commit: OID) throws {
        if try resolveReference(branch) != commit {
            var raw = commit.raw
            var reference: OpaquePointer?
            try check(writingRef(branch) { git_reference_create(&reference, pointer, branch, &raw, 1, "aee: workspace") }, "git_reference_create")
            git_reference_free(reference)
        }
        var head: OpaquePointer?
        let onBranch = git_reference_lookup(&head, pointer, "HEAD") == 0 && git_reference_symbolic_target(head).map { String(cString: $0) } == branch
        git_reference_free(head)
        // Written as a symbolic ref: `git_repository_set_head` would first open every linked worktree of the repository
        // (it has none) to see whether one has the branch checked out.
        if !onBranch {
            try check(writingRef("HEAD") { git_reference_symbolic_create(&head, pointer, "HEAD", branch, 1, "aee: workspace") },
                      "git_reference_symbolic_create")
            git_reference_free(head)
        }
    }

    /// Every ref's name, symbolic ones included.
    func referenceNames() throws -> [String] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_new(&iterator, pointer), "git_reference_iterator_new")
        defer { git_reference_iterator_free(iterator) }
        var names: [String] = []
        var name: UnsafePointer<CChar>?
        while true {
            let result = git_reference_next_name(&name, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_reference_next_name")
            names.append(String(cString: name!))
        }
        return names
    }

    /// The keys whose values differ between two config files.
    static func configKeysDiffering(_ one: String, _ other: String) throws -> [String] {
        let (left, right) = (try configEntries(one), try configEntries(other))
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
    }

    private static func configEntries(_ path: String) throws -> [String: [String]] {
        var file: OpaquePointer?
        try check(git_config_open_ondisk(&file, path), "git_config_open_ondisk")
        return Dictionary(grouping: try Config(pointer: file!).entries(matching: ".*"), by: \.key).mapValues { $0.map(\.value) }
    }
}
