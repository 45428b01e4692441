import CLibGit2
#if canImport(Glibc)
import Glibc
#endif

/// An open git repository; owns the `git_repository` handle.
public final class Repository {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_repository_free(pointer) }

    /// Opens the repository the way git does: `GIT_DIR`, `GIT_WORK_TREE` and friends, else a search upward from the current directory.
    public static func openFromEnvironment() throws -> Repository {
        _ = LibGit2.ready
        var pointer: OpaquePointer?
        // libgit2 1.5 refuses GIT_WORK_TREE ("unimplemented"): the repository is opened without it, then given the
        // work tree it names, as git does (`git --work-tree`, dotfiles set-ups). Relative to the current directory.
        let workTree = getenv("GIT_WORK_TREE").map { String(cString: $0) }
        if workTree != nil { unsetenv("GIT_WORK_TREE") }
        let opened = git_repository_open_ext(&pointer, nil, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil)
        if let workTree { setenv("GIT_WORK_TREE", workTree, 1) }
        try check(opened, "git_repository_open_ext")
        let repository = Repository(pointer: pointer!)
        if let workTree, !workTree.isEmpty {
            try check(git_repository_set_workdir(pointer, workTree, 0), "git_repository_set_workdir")
        }
        try repository.readWorktreeConfig()
        ExternalFilters.register(for: repository)
        return repository
    }

    /// libgit2 1.5 does not read `config.worktree` (what `git config --worktree` and `git sparse-checkout` write):
    /// added here, when `extensions.worktreeConfig` says so, above the repository's own file, as git reads it.
    private func readWorktreeConfig() throws {
        var config: OpaquePointer?
        try check(git_repository_config(&config, pointer), "git_repository_config")
        defer { git_config_free(config) }
        var enabled: Int32 = 0
        let path = gitDirectory + "config.worktree"
        guard git_config_get_bool(&enabled, config, "extensions.worktreeconfig") == 0, enabled != 0, access(path, F_OK) == 0 else { return }
        try check(git_config_add_file_ondisk(config, path, GIT_CONFIG_LEVEL_APP, pointer, 0), "git_config_add_file_ondisk")
    }

    /// Opens the repository at `path` (or, `searching`, at or above it), ignoring the environment.
    public static func open(at path: String, searching: Bool = true) throws -> Repository {
        _ = LibGit2.ready
        var pointer: OpaquePointer?
        try check(git_repository_open_ext(&pointer, path, searching ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil), "git_repository_open_ext")
        let repository = Repository(pointer: pointer!)
        try repository.readWorktreeConfig()
        return repository
    }

    public var isBare: Bool { git_repository_is_bare(pointer) != 0 }

    /// The working tree's root with a trailing slash, or nil in a bare repository.
    public var workingDirectory: String? {
        git_repository_workdir(pointer).map { String(cString: $0) }
    }

    /// The git directory (for a linked worktree, its private one).
    public var gitDirectory: String { String(cString: git_repository_path(pointer)) }

    /// The directory shared by all worktrees: objects, refs, config.
    public var commonDirectory: String { String(cString: git_repository_commondir(pointer)) }

    /// Where HEAD points.
    public func head() throws -> Head {
        var reference: OpaquePointer?
        let result = git_repository_head(&reference, pointer)
        if result == GIT_EUNBORNBRANCH.rawValue || result == GIT_ENOTFOUND.rawValue {
            return .unborn(branch: try unbornBranchName())
        }
        try check(result, "git_repository_head")
        defer { git_reference_free(reference) }
        guard let target = git_reference_target(reference) else {
            throw GitError(code: -1, function: "git_reference_target")
        }
        let oid = OID(target.pointee)
        if git_repository_head_detached(pointer) == 1 { return .detached(oid) }
        return .branch(name: String(cString: git_reference_name(reference)), oid)
    }

    private func unbornBranchName() throws -> String {
        var head: OpaquePointer?
        try check(git_reference_lookup(&head, pointer, "HEAD"), "git_reference_lookup")
        defer { git_reference_free(head) }
        return git_reference_symbolic_target(head).map { String(cString: $0) } ?? "HEAD"
    }

    /// A read-only snapshot of the repository's configuration (all levels libgit2 knows).
    public func configuration() throws -> Config {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, pointer), "git_repository_config_snapshot")
        return Config(pointer: config!)
    }

    /// The repository's own configuration file (`config` in the common git directory), to change.
    public func localConfiguration() throws -> Config {
        var all: OpaquePointer?
        try check(git_repository_config(&all, pointer), "git_repository_config")
        defer { git_config_free(all) }
        var local: OpaquePointer?
        try check(git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level")
        return Config(pointer: local!)
    }
}

/// What HEAD points at.
public enum Head: Equatable, Sendable {
    /// A branch with no commits yet (a new repository); carries its full ref name.
    case unborn(branch: String)
    case branch(name: String, OID)
    case detached(OID)

    public var commit: OID? {
        switch self {
        case .unborn: nil
        case .branch(_, let oid), .detached(let oid): oid
        }
    }

    public var branchName: String? {
        switch self {
        case .unborn(let name), .branch(let name, _): name
        case .detached: nil
        }
    }
}
