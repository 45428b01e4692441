import Git
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a task's workspace is on disk: outside the git directory (agent CLIs refuse to edit under `.git/`) and
/// outside the user's working tree (whose `git status` must never see it), under the user's cache directory or
/// `aee.workspaceRoot`, in one folder per repository:
///
///     <root>/<name>-<hash>/<id>/                the checkout the agent works in (`.git` is a file naming its git directory)
///     <root>/<name>-<hash>/.state/<id>/git/     the workspace's own git directory, borrowing the repository's objects
///     <root>/<name>-<hash>/.state/<id>/index    git aee's index of the checkout (git's own there is the agent's)
///     <root>/<name>-<hash>/.calls/<id>/         the files handed to the agent (AEE_TASK_FILE, AEE_OUTPUT_FILE, ...)
///     <root>/<name>-<hash>/<id>.<n>/            (and its state) the n-th workspace of a run that runs work items side by side
///     <root>/<name>-<hash>/.pool-<k>/           (and its state) a workspace kept for the next task (see `WorkspacePool`)
///
/// The path depends only on the settings, the repository and the task, so a run that resumes a dead one finds it.
struct WorkspaceLocation {
    /// Every workspace of one repository.
    let repositoryFolder: String
    /// The checkout, ending with `/`.
    let root: String
    /// git aee's files for the workspace, ending with `/`.
    let state: String

    var gitDirectory: String { state + "git" }
    var index: String { state + "index" }
    /// Copies of the git directory's files as git aee wrote them (see `GitDirectoryBaseline`).
    var baselineDirectory: String { state + "baseline" }
    /// Beside the state rather than in it: a workspace made again mid-run keeps them.
    var callFiles: String { repositoryFolder + ".calls/" + root.dropFirst(repositoryFolder.count) }
    var globalConfig: String { gitDirectory + "/" + GitDirectoryBaseline.globalConfig }
    /// Written last when a workspace is made: one without it is half-made (a crash) and is made again.
    var readyMarker: String { state + "ready" }
    /// The workspaces of ended tasks this one may be made from, and is given back to.
    let pool: WorkspacePool

    /// git aee's places for the workspace, from the repository's folder down, each ending without `/`: an agent can
    /// reach them (they are beside its checkout), and a link it put at one would have git aee write (or remove)
    /// through it, into the user's repository.
    private var places: [String] {
        let folder = String(repositoryFolder.dropLast())
        let calls = String(callFiles.dropLast())
        return [folder, folder + "/.state", String(state.dropLast()), gitDirectory, index, baselineDirectory, readyMarker,
                folder + "/.calls", calls, String(root.dropLast())]
    }

    /// The first of git aee's places for the workspace where a link stands, or nil.
    func linkInPlace() -> String? {
        places.first(where: isLink)
    }

    /// Removes every link that stands at one of git aee's places (the link, never what it names), outermost first, so
    /// that nothing below is reached through one; returns whether there was any.
    @discardableResult
    func removeLinks() -> Bool {
        var found = false
        for place in places where isLink(place) {
            unlink(place)
            found = true
        }
        return found
    }

    /// The task's workspace, or (`beside` 2 or more) one of those where work items run beside the first; a dot is
    /// no character of an id, so the name is no other task's.
    init(id: TaskID, repositoryFolder: String, beside: Int = 1, poolSize: Int = 0) {
        self.init(name: id.rawValue + (beside > 1 ? ".\(beside)" : ""), repositoryFolder: repositoryFolder, poolSize: poolSize)
    }

    /// The `k`-th place of the pool of workspaces; no id starts with a dot.
    init(pooled k: Int, repositoryFolder: String) {
        self.init(name: ".pool-\(k)", repositoryFolder: repositoryFolder, poolSize: 0)
    }

    /// The workspace named `name` in the folder (a task id, with `.<n>` for one beside it, or a pool slot).
    init(name: String, repositoryFolder: String, poolSize: Int) {
        self.repositoryFolder = repositoryFolder
        root = repositoryFolder + name + "/"
        state = repositoryFolder + ".state/" + name + "/"
        pool = WorkspacePool(folder: repositoryFolder, size: poolSize)
    }

    /// The folder for `repository`'s workspaces under `root`: its name, and a hash of its git directory's path.
    static func repositoryFolder(of repository: Repository, under root: String) -> String {
        let key = Repository.hash(of: Array(repository.commonDirectory.utf8)).hex.prefix(12)
        return root + "/" + folderName(of: repository) + "-" + key + "/"
    }

    /// The repository's name as its users know it (the working tree's folder), safe as a path component.
    private static func folderName(of repository: Repository) -> String {
        var path = repository.workingDirectory ?? repository.commonDirectory
        while path.hasSuffix("/") { path.removeLast() }
        if path.hasSuffix("/.git") { path.removeLast(5) }
        let name = path.split(separator: "/").last.map(String.init) ?? "repository"
        let safe = String(name.prefix(40).map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
        return safe.hasPrefix(".") ? "repo" + safe : safe
    }
}

extension Workspace {
    /// The folder workspaces go in: `aee.workspaceRoot` (`~/` expanded), else `$XDG_CACHE_HOME/git-aee/workspaces`,
    /// else `~/.cache/git-aee/workspaces`.
    func workspaceRoot() throws -> String {
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        if let configured = try settings.string("aee.workspaceRoot") {
            var path = configured
            if path == "~" || path.hasPrefix("~/"), let home { path = home + path.dropFirst() }
            guard path.hasPrefix("/") else {
                throw ConfigError.invalidSetting(key: "aee.workspaceRoot", value: configured, expected: "an absolute path, or one starting with ~/")
            }
            return path
        }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/git-aee/workspaces" }
        guard let home else {
            throw WorkspaceError.rootUnusable(path: "~/.cache", reason: "HOME is not set to an absolute path")
        }
        return home + "/.cache/git-aee/workspaces"
    }

    /// Where the workspace of task `id` is; `requireWorkspaceFolder` has checked, before the run wrote anything, that one can
    /// be made there.
    func workspaceLocation(for id: TaskID, beside: Int = 1) throws -> WorkspaceLocation {
        WorkspaceLocation(id: id, repositoryFolder: WorkspaceLocation.repositoryFolder(of: repository, under: try workspaceRoot()), beside: beside,
                          poolSize: try workspacePoolSize())
    }

    /// How many workspaces of ended tasks this repository keeps for the next ones (`aee.workspacePool`).
    func workspacePoolSize() throws -> Int {
        try settings.int("aee.workspacePool", in: 0...WorkspacePool.maxSize) ?? WorkspacePool.defaultSize
    }

    /// Refuses when no workspace can be made in this repository's folder of workspaces: the folder must be creatable
    /// and writable, have some space left, and let programs run (a `noexec` mount would fail every gate). The run
    /// checks out `workspaces` (one per attempt side by side; none with `--here`): each that neither task `id`'s own
    /// nor a pooled one provides needs room for the files of the repository's index too. Checked before a run writes
    /// anything, so a bad place is one clear error, not a task that dies half-way.
    func requireWorkspaceFolder(for id: TaskID?, workspaces: Int) throws {
        let poolSize = try workspacePoolSize()
        let root = try workspaceRoot()
        let folder = WorkspaceLocation.repositoryFolder(of: repository, under: root)
        if let reason = try insideRepository(folder) { throw WorkspaceError.rootUnusable(path: root, reason: reason) }
        // Judged where the folder is, or would be made, without making it: a refused run leaves nothing behind.
        let state = folder + ".state"
        let existing = Self.nearestExisting(state)
        var status = stat()
        guard stat(existing, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw WorkspaceError.rootUnusable(path: root, reason: "the folder cannot be created (\(existing) is not a folder)")
        }
        guard access(existing, W_OK | X_OK) == 0 else {
            throw WorkspaceError.rootUnusable(path: root, reason: existing == state ? "it is not writable"
                                                  : "the folder cannot be created (\(String(cString: strerror(errno))))")
        }
        var info = statvfs()
        if statvfs(existing, &info) == 0 {
            let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
            if free < Self.minimumFreeSpace {
                throw WorkspaceError.rootUnusable(path: root, reason: "no space left on its file system (\(free / 1024) KiB free)")
            }
            let reusable = WorkspacePool(folder: folder, size: poolSize).slots
                + (id.map { id in (1...max(workspaces, 1)).map { WorkspaceLocation(id: id, repositoryFolder: folder, beside: $0) } } ?? [])
            let missing = workspaces - reusable.filter { access($0.readyMarker, F_OK) == 0 }.count
            if missing > 0, let checkout = try repository.indexedFileBytes(), free < checkout * UInt64(missing) + Self.minimumFreeSpace {
                let many = missing > 1 ? ", \(missing) times over" : ""
                throw WorkspaceError.rootUnusable(path: root, reason: "its file system has \(free / 1024) KiB free, and the run checks this repository out, which takes about \(checkout / 1024) KiB\(many), with 1 MiB to spare")
            }
            if info.f_flag & Self.mountedNoExec != 0 {
                throw WorkspaceError.rootUnusable(path: root, reason: "its file system is mounted noexec, so no script could run there")
            }
        }
    }

    /// `path` if it is there, else its nearest ancestor that is.
    private static func nearestExisting(_ path: String) -> String {
        var path = path
        while access(path, F_OK) != 0, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            path = String(path[..<slash])
        }
        return access(path, F_OK) == 0 ? path : "/"
    }

    /// Why workspaces in `folder` would be seen by the repository itself: inside its git directory (where an agent
    /// such as Claude Code refuses to edit anything), or inside its working tree where no ignore rule hides them from
    /// `git status` and `git add -A`; nil when they would not.
    private func insideRepository(_ folder: String) throws -> String? {
        let physical = Self.physical(folder)
        if [repository.commonDirectory, repository.gitDirectory].contains(where: { physical.hasPrefix(Self.physical($0)) }) {
            return "it is inside the repository's git directory"
        }
        guard let workingDirectory = repository.workingDirectory else { return nil }
        let root = Self.physical(workingDirectory)
        guard physical.hasPrefix(root), try !repository.isIgnored(String(physical.dropFirst(root.count).dropLast()), isDirectory: true) else { return nil }
        return "it is inside the repository's working tree, where git status would show the workspaces (unless ignored)"
    }

    /// Refuses, before a run writes anything, when a filter git must run (`filter.<name>.required`) names a program
    /// that is not there: the workspace could be neither checked out nor staged as git would.
    func requireFilters() throws {
        for key in try settings.names(matching: #"^filter\..+\.required$"#) where try settings.bool(key) == true {
            let name = String(key.dropFirst("filter.".count).dropLast(".required".count))
            for role in ["process", "clean", "smudge"] {
                guard let command = try settings.string("filter.\(name).\(role)"),
                      let found = ShellCommand.problem(in: command, root: repository.workingDirectory ?? "", path: environment["PATH"] ?? "",
                                                       home: environment["HOME"]) else { continue }
                throw WorkspaceError.filterUnavailable(name: name, program: found.program)
            }
        }
    }

    /// Less free space than this and a workspace is not even started.
    static let minimumFreeSpace: UInt64 = 1 << 20
    /// statvfs's ST_NOEXEC, an enum constant Swift's Glibc module does not export.
    static let mountedNoExec: UInt = 8
}
