import Git
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a task's files are while it runs: a checkout with a git repository of its own (see `WorkspaceLocation`),
/// or, with `--here`, the user's working tree.
///
/// The workspace's repository borrows the user's objects through alternates and has its own config, HEAD, refs and
/// hooks: what an agent does with `git` there (`git config`, writing hooks, `update-ref`, `branch -D`, notes) stays
/// there, is reported, and is undone after each call. A shared objects directory was the other way; but `git gc`
/// run in the workspace would then prune the user's objects by the workspace's refs. git aee keeps an index of its
/// own beside it, so whatever the agent does to git's index (commit, stage, delete it) every change is seen.
struct TaskWorkspace {
    /// git aee's handle on the checkout: the workspace's refs and config, the user's object database (so what git aee
    /// writes lands there), git aee's own index. For `--here`, the user's repository.
    let repository: Repository
    /// The checkout's root, ending with `/`.
    let root: String
    let location: WorkspaceLocation
    /// True for `--here`: the user's own working tree, kept when the run ends.
    let isUsersWorkingTree: Bool
    /// The branch the workspace's HEAD is on, following the commits git aee writes (the task's name, there only).
    let branch: String
    /// How git behaves in the workspace's git directory, as git aee wrote it for this run; nil for the user's tree.
    var baseline: GitDirectoryBaseline?
    /// The workspace's git-lfs store and the user's; nil for the user's own working tree.
    var lfs: LFSStore?

    /// The workspace for `id`, checked out at `commit`: the one a run left (whatever the agent did to its files), or
    /// one from the pool, or a new one when there is neither, or it is half-made, or it is not usable any more.
    static func open(for id: TaskID, in main: Repository, at commit: OID, location: WorkspaceLocation) throws -> TaskWorkspace {
        // git aee ran tasks in linked worktrees under .git/aee before it had workspaces; such a worktree of the task
        // is removed (its files were the last run's, which every commit of the task's keeps).
        try main.removeWorktree(name: "aee-\(id)", path: main.commonDirectory + "aee/worktrees/\(id)")
        if !location.removeLinks(), FileManager.default.contents(atPath: location.readyMarker) == Self.layout,
           let workspace = try? reopen(for: id, in: main, at: commit, location: location, pooled: false) {
            return workspace
        }
        return try create(for: id, in: main, at: commit, location: location)
    }

    /// What the ready marker holds: the layout of the workspace's files, so one made by another version is made anew.
    static let layout = Data("workspace 2\n".utf8)

    /// The workspace at `location` as a run left it, killed in the middle of anything, an agent call included (the
    /// files and git aee's index may then disagree, so every file is compared with the commit), or as the pool kept
    /// it (where git aee's index is as the last task's end left it, and tells, as git's does, which files were
    /// touched since). What the agent did to the git directory is undone before it is opened (a `commondir` would
    /// lead elsewhere), and how git behaves there is written anew from the user's repository. Between tasks the
    /// ignored files go too: a pooled workspace is what a fresh one would be, with nothing of the last task's.
    private static func reopen(for id: TaskID, in main: Repository, at commit: OID, location: WorkspaceLocation, pooled: Bool) throws -> TaskWorkspace {
        _ = try Repository.removeRedirections(in: location.gitDirectory + "/")
        try writeSettings(from: main, location)
        let repository = try main.openBorrowingRepository(gitDirectory: location.gitDirectory, indexFile: location.index)
        guard repository.commonDirectory == repository.gitDirectory else {
            throw WorkspaceError.damaged(path: location.root, reason: "its git directory leads elsewhere")
        }
        let workspace = try prepare(repository, for: id, main: main, location: location)
        try repository.clearStaleWorkingTreeLocks()
        _ = try repository.restoreGitDirectory(from: workspace.baseline!, branch: id.branch, at: commit)
        // Between tasks the ignored files and the repositories an agent made inside the tree go too, in the same walk:
        // nothing of the last task's may change what the next one's gates see.
        try workspace.move(to: commit, trustingIndex: pooled, removingIgnored: pooled)
        return workspace
    }

    /// Makes the workspace from a pooled one, or anew: whatever a crash or an agent left at its place goes first, the
    /// ready marker comes last.
    private static func create(for id: TaskID, in main: Repository, at commit: OID, location: WorkspaceLocation) throws -> TaskWorkspace {
        try remove(location)
        if location.pool.take(into: location) {
            if let workspace = try? reopen(for: id, in: main, at: commit, location: location, pooled: true) {
                try markReady(location)
                return workspace
            }
            try remove(location)
        }
        do {
            try FileManager.default.createDirectory(atPath: location.baselineDirectory, withIntermediateDirectories: true)
        } catch {
            throw WorkspaceError.rootUnusable(path: location.state, reason: "the folder cannot be created")
        }
        // Who the folder belongs to, for a person (or a later clean-up) looking at the cache; written once, not at
        // every workspace, as writing it costs a sync to disk.
        let owner = Data((main.commonDirectory + "\n").utf8)
        if FileManager.default.contents(atPath: location.repositoryFolder + "repository") != owner {
            try? owner.write(to: URL(fileURLWithPath: location.repositoryFolder + "repository"))
        }
        try main.createBorrowingRepository(gitDirectory: location.gitDirectory, workingDirectory: location.root, branch: id.branch)
        try writeSettings(from: main, location)
        let repository = try main.openBorrowingRepository(gitDirectory: location.gitDirectory, indexFile: location.index)
        let workspace = try prepare(repository, for: id, main: main, location: location)
        try workspace.move(to: commit)
        try markReady(location)
        return workspace
    }

    private static func markReady(_ location: WorkspaceLocation) throws {
        do {
            try replaceFile(location.readyMarker, with: Array(Self.layout))
        } catch {
            throw RepositoryError.fileSystem(path: location.readyMarker, reason: "cannot be written")
        }
    }

    /// Writes how git behaves in the workspace anew from the user's repository (config, ignore and attribute files,
    /// alternates, the global config file, the checkout's `.git`), before it is opened: the workspace may have been
    /// somewhere else (the pool) when they were last written.
    private static func writeSettings(from main: Repository, _ location: WorkspaceLocation) throws {
        try main.writeBorrowingSettings(gitDirectory: location.gitDirectory, workingDirectory: location.root,
                                        config: try carriedConfig(from: main) + [("lfs.storage", location.state + "lfs")])
        try writeGlobalConfig(location)
        _ = try restoreGitFile(location)
    }

    /// The workspace opened as `repository`, with how git behaves there remembered for the run, and the user's large
    /// files lent to it.
    private static func prepare(_ repository: Repository, for id: TaskID, main: Repository, location: WorkspaceLocation) throws -> TaskWorkspace {
        let baseline = GitDirectoryBaseline(of: location.gitDirectory, copiesIn: location.baselineDirectory)
        let workspace = TaskWorkspace(repository: repository, root: location.root, location: location, isUsersWorkingTree: false,
                                      branch: id.branch, baseline: baseline, lfs: try lfsStore(of: main, location))
        workspace.lfs?.borrow()
        return workspace
    }

    /// The user's settings that decide what files look like and how they are staged (filters, line endings, ignore and
    /// attribute files, identities for commits an agent makes), from the repository's own config: the user's global
    /// and system config apply in the workspace as anywhere. (git-lfs has a store of its own there: `LFSStore`.)
    private static func carriedConfig(from main: Repository) throws -> [(key: String, value: String)] {
        let pattern = #"^(filter|lfs|diff|merge|user|submodule)\..*|^core\.(autocrlf|eol|safecrlf|filemode|symlinks|ignorecase|precomposeunicode|attributesfile|excludesfile|quotepath|checkroundtripencoding|bigfilethreshold)$"#
        return try main.localConfiguration().entries(matching: pattern)
    }

    /// The user's git-lfs store (`lfs.storage`, by default `lfs` in the git directory) and the workspace's.
    private static func lfsStore(of main: Repository, _ location: WorkspaceLocation) throws -> LFSStore {
        var users = try main.configuration().string("lfs.storage") ?? "lfs"
        if !users.hasPrefix("/") { users = main.commonDirectory + users }
        return LFSStore(users: users + "/objects", workspace: location.state + "lfs/objects")
    }

    /// The file `GIT_CONFIG_GLOBAL` names for programs run in the workspace: it includes the user's global config
    /// files, so git behaves as it does for them, while `git config --global` writes here (and is undone).
    private static func writeGlobalConfig(_ location: WorkspaceLocation) throws {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? ""
        let files = environment["GIT_CONFIG_GLOBAL"].map { [$0] }
            ?? [(environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config") + "/git/config", home + "/.gitconfig"]
        let text = "# git aee: the global config of programs run in this workspace; yours is read through these includes.\n[include]\n"
            + files.map { "\tpath = \(Self.configQuoted($0))\n" }.joined()
        do {
            try replaceFileIfChanged(location.globalConfig, with: Array(text.utf8))
        } catch {
            throw RepositoryError.fileSystem(path: location.globalConfig, reason: "cannot be written")
        }
    }

    /// A value as git's config parser reads it back: in double quotes, with `\` and `"` escaped.
    private static func configQuoted(_ value: String) -> String {
        "\"" + value.map { $0 == "\\" || $0 == "\"" ? "\\\($0)" : String($0) }.joined() + "\""
    }

    /// What programs run in the workspace (the agent, the gates) add to their environment.
    var environment: [String: String] {
        isUsersWorkingTree ? [:] : ["GIT_CONFIG_GLOBAL": location.globalConfig]
    }

    /// The user's own working tree, moved to `commit`; `TaskRunner.check` has refused a tree with changes, and the
    /// safe checkout refuses to overwrite any that appeared since.
    static func here(_ main: Repository, at commit: OID, location: WorkspaceLocation) throws -> TaskWorkspace {
        guard let root = main.workingDirectory else { throw RepositoryError.needsWorkTree(command: "run --here") }
        try main.checkoutDetached(commit, mode: .safe)
        return TaskWorkspace(repository: main, root: root, location: location, isUsersWorkingTree: true, branch: "HEAD")
    }

    /// The file holding the index git aee commits from.
    var indexFile: String { isUsersWorkingTree ? repository.gitDirectory + "index" : location.index }

    /// Makes every file match `commit` (discarding what an agent left, untracked files included; ignored ones such as
    /// build output stay) and puts the workspace's branch there.
    /// `trustingIndex: false` after a crash: git aee's index may then be older or newer than the files (a run killed
    /// while it wrote records), so it is first made the commit's, and every file is compared with it.
    /// `removingIgnored`: the ignored files and the repositories inside the tree go too.
    func move(to commit: OID, trustingIndex: Bool = true, removingIgnored: Bool = false) throws {
        if isUsersWorkingTree { return try repository.checkoutDetached(commit, mode: .force) }
        if !trustingIndex { try repository.resetIndex(to: commit) }
        try repository.checkout(commit, mode: removingIgnored ? .pristine : .exact)
        try repository.setBranch(branch, to: commit)
        try repository.publishIndex()
    }

    /// `move(to:)`, or, when what an agent left cannot be checked out over (a folder nested deeper than git takes a
    /// path), task `id`'s workspace removed and made again at `commit` from `main`: it held nothing of the task's
    /// that its commits do not.
    mutating func move(to commit: OID, orMakeAgainFor id: TaskID, from main: Repository) throws {
        do {
            try move(to: commit)
        } catch let error as GitError where !error.isOutOfSpace && !isUsersWorkingTree {
            try Self.remove(location)
            self = try Self.open(for: id, in: main, at: commit, location: location)
        }
    }

    /// Stages what the agent changed as `git add -A` would, leaving `.aee/` as the last commit had it (the changes
    /// there are refused). `tree(adding:)` then makes the commit's tree.
    /// What the agent left and git cannot stage (a required filter failing on it, a path libgit2 refuses) fails
    /// the agent's call, as a damaged workspace does, rather than the whole run; a full disk is no fault of the
    /// agent's and stops the run.
    func stage() throws -> StagedChanges {
        do {
            let staged = try repository.stageWorkingTree(protecting: ".aee")
            // What git-lfs stored while staging (the agent's large files) must be where the user's git looks.
            try lfs?.give()
            return staged
        } catch let error as GitError where !error.isOutOfSpace {
            throw WorkspaceError.damaged(path: root, reason: "what the agent left cannot be staged: \(error.message)")
        }
    }

    /// What was staged, with the records of the commit about to be made.
    func tree(adding records: [TreeUpdate]) throws -> OID {
        try repository.indexTree(adding: records)
    }

    /// After `commit` (whose tree is `tree`) wrote the files `records`: writes them into `.aee/` and the index (a
    /// few files, where a checkout would visit every file), puts back what an agent changed there and the other
    /// changes refused (files `git fsck --strict` rejects), so the gates see the commit's tree, and moves HEAD to it.
    func follow(_ commit: OID, tree: OID, records: [String], refused: [String]) throws {
        if refused.isEmpty {
            try repository.syncFiles(records, to: tree)
        } else {
            // Anything may be on disk there (symlinks, directories for files): a forced checkout copes with all of
            // it. It reloads the index first, so the staged entries are written before.
            try repository.writeIndex()
            try repository.checkout(commit, paths: [".aee"] + refused.filter { $0 != ".aee" && !$0.hasPrefix(".aee/") }, mode: .force)
        }
        if isUsersWorkingTree { return try repository.detachHead(at: commit) }
        try repository.setBranch(branch, to: commit)
        try repository.publishIndex()
    }

    /// What an agent's call left in the workspace's git directory, once git aee has taken what it keeps and undone
    /// the rest.
    struct AgentGitWork {
        /// The commit the agent's HEAD led to when it made commits of its own: kept as a parent of the work item's commit.
        var commits: OID?
        /// What it changed in the workspace's config, hooks and refs, now undone (none of it reached the user's).
        var undone: [String]
    }

    /// After an agent call that started at `tip`: copies the history the agent's own commits made into the user's
    /// repository (checked as `git fsck --strict` would, and for secrets as `redactor` finds them, which commits
    /// cannot have redacted: else left out and said so), notes where its HEAD went, and puts the git directory back as
    /// git aee left it. Throws `damaged` when the agent removed or broke the workspace itself.
    func collectAgentWork(startedAt tip: OID, main: Repository, redactor: Redactor) throws -> AgentGitWork {
        if isUsersWorkingTree { return AgentGitWork(commits: nil, undone: []) }
        if let link = location.linkInPlace() {
            throw WorkspaceError.damaged(path: root, reason: "the agent put a link at \(link), where git aee keeps its own files")
        }
        var info = stat()
        guard stat(root, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw WorkspaceError.damaged(path: root, reason: "it was removed while the agent ran")
        }
        guard stat(location.gitDirectory + "/objects", &info) == 0 else {
            throw WorkspaceError.damaged(path: root, reason: "its git directory was removed while the agent ran")
        }
        do {
            var commits: OID?
            var undone: [String] = []
            if let head = repository.headCommit(), head != tip {
                if let problem = try main.importHistory(of: head, from: location.gitDirectory + "/objects", screen: { oid, isCommit, bytes in
                    // Not past a size a source file has, so the screen stays cheap; read as text whatever else the file
                    // holds, so a byte that is not UTF-8 does not hide a key beside it.
                    guard isCommit || bytes.count <= Self.screenedBlobSize,
                          let secret = redactor.firstSecret(in: String(decoding: bytes, as: UTF8.self)) else { return nil }
                    return "\(isCommit ? "commit" : "a file in blob") \(oid.hex.prefix(12)) holds what looks like a secret (\(secret))"
                }) {
                    undone.append("the agent's commits were not kept: \(problem)")
                } else if try !main.isAncestor(head, of: tip) {
                    commits = head
                }
            }
            undone += try repository.restoreGitDirectory(from: baseline!, branch: branch, at: tip)
            return AgentGitWork(commits: commits, undone: undone + (try Self.restoreGitFile(location) ? [".git of the checkout changed"] : []))
        } catch let error as GitError where !error.isOutOfSpace {
            throw WorkspaceError.damaged(path: root, reason: error.message)
        }
    }

    /// The largest blob of an agent's commits searched for secrets.
    static let screenedBlobSize = 1 << 20

    /// Makes the checkout exactly the tree about to be judged: removes the ignored files and directories that are not
    /// in `kept` (what the gates themselves left last time: build output, caches). An ignored file an agent wrote
    /// (a local config, installed dependencies) is not in the commit, so a gate must not see it: a fresh checkout
    /// of the commit would not have it. Returns what was removed. The user's own tree (`--here`) is never touched.
    /// `present` is what the last staging found ignored, when nothing can have changed since; else the tree is walked.
    func clearIgnored(keeping kept: Set<String>, present: [String]?) throws -> [String] {
        guard !isUsersWorkingTree else { return [] }
        let removed = try (present ?? repository.ignoredPaths()).filter { !kept.contains($0) }
        do {
            // Without the trailing `/` of a directory's entry, so a link put in its place is removed, not followed.
            for path in removed { try removeRecursively(root + (path.hasSuffix("/") ? String(path.dropLast()) : path)) }
        } catch let error as GitError {
            throw RepositoryError.fileSystem(path: root, reason: "cannot clear ignored files before the gates: \(error.message)")
        }
        return removed
    }

    /// Makes the checkout's `.git` the file that names the workspace's git directory, whatever stands there (an agent
    /// could point it at the user's repository, or `git init` a repository of its own there, and its next `git`
    /// would reach that); returns whether it had to.
    private static func restoreGitFile(_ location: WorkspaceLocation) throws -> Bool {
        let path = location.root + ".git"
        let expected = Data("gitdir: \(location.gitDirectory)\n".utf8)
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, FileManager.default.contents(atPath: path) == expected { return false }
        do {
            try removeRecursively(path)
        } catch let error as GitError {
            throw WorkspaceError.damaged(path: location.root, reason: error.message)
        }
        do {
            try replaceFile(path, with: Array(expected))
        } catch {
            throw WorkspaceError.damaged(path: location.root, reason: "its .git file cannot be written")
        }
        return true
    }

    /// Gives the workspace to the pool, or removes it, unless it holds work found nowhere else: commits made in a
    /// submodule (whose objects live in the workspace's git directory, under `modules/`), as `git worktree remove`
    /// refuses a worktree with submodules. Returns why it was kept, or nil; the user's own working tree always stays.
    /// One with submodules checked out is not pooled: the next task's would start from this one's checkouts of them.
    @discardableResult
    func remove(main: Repository) throws -> String? {
        guard !isUsersWorkingTree else { return nil }
        if let reason = Self.holdsWorkFoundNowhereElse(location, main: main) { return reason }
        if access(location.gitDirectory + "/modules", F_OK) != 0, location.pool.give(location) { return nil }
        try Self.remove(location)
        return nil
    }

    /// Why the workspace at `location` must not be removed, or nil: submodules checked out there whose repositories
    /// have commits that neither their remote nor the user's own copy of the submodule (`modules/<name>` in the
    /// user's git directory) has, and repositories made inside it (`git init`, a clone), recorded as gitlinks, with
    /// commits of their own: the task's commits name those commits, and the workspace holds their only copy.
    static func holdsWorkFoundNowhereElse(_ location: WorkspaceLocation, main: Repository) -> String? {
        var reasons: [String] = []
        let submodules = submodulesWithOwnCommits(location, main: main)
        if !submodules.isEmpty { reasons.append("its submodule\(submodules.count == 1 ? "" : "s") " + submodules.joined(separator: ", ")) }
        let embedded = embeddedRepositoriesWithOwnCommits(location, main: main)
        if !embedded.isEmpty { reasons.append("the repositor\(embedded.count == 1 ? "y" : "ies") made in it " + embedded.joined(separator: ", ")) }
        let one = reasons.count == 1 && submodules.count + embedded.count == 1
        return reasons.isEmpty ? nil : reasons.joined(separator: " and ") + (one ? " holds" : " hold") + " commits found nowhere else"
    }

    /// The gitlinks of the workspace whose directory holds a repository of its own (a `.git` directory, not a
    /// submodule's `.git` file) with commits neither its remotes nor the user's repository have.
    private static func embeddedRepositoriesWithOwnCommits(_ location: WorkspaceLocation, main: Repository) -> [String] {
        ((try? Repository.gitlinkPaths(inIndexFile: location.index)) ?? []).filter { path in
            var info = stat()
            guard lstat(location.root + path + "/.git", &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
                  let repository = try? Repository.open(at: location.root + path + "/.git", searching: false),
                  let own = try? repository.commitsFoundOnlyHere(comparedWith: main.commonDirectory + "objects") else { return false }
            return !own.isEmpty
        }
    }

    private static func submodulesWithOwnCommits(_ location: WorkspaceLocation, main: Repository) -> [String] {
        var found: [String] = []
        // A submodule named `vendor/lib` lives in `modules/vendor/lib`, one inside it in `modules/vendor/lib/modules/x`:
        // every directory below `modules/` that is not a repository is looked into.
        func visit(_ relative: String) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: location.gitDirectory + "/" + relative)) ?? [] {
                let path = relative + name
                guard FileManager.default.fileExists(atPath: location.gitDirectory + "/" + path + "/HEAD") else {
                    if name != "objects" && name != "refs" { visit(path + "/") }
                    continue
                }
                if let repository = try? Repository.open(at: location.gitDirectory + "/" + path, searching: false),
                   let own = try? repository.commitsFoundOnlyHere(comparedWith: main.commonDirectory + path + "/objects"), !own.isEmpty {
                    found.append(path)
                }
                visit(path + "/modules/")
            }
        }
        visit("modules/")
        return found.map { String($0.replacing("/modules/", with: "/").dropFirst("modules/".count)) }.sorted()
    }

    /// Removes the workspace at `location`, whatever state it is in.
    static func remove(_ location: WorkspaceLocation) throws {
        do {
            // The links an agent may have put in git aee's places first, so nothing is removed through one; then the
            // marker: a crash half-way leaves a workspace that is made again, never one taken as whole.
            location.removeLinks()
            unlink(location.readyMarker)
            try removeRecursively(location.root)
            try removeRecursively(location.state)
        } catch let error as GitError {
            throw RepositoryError.fileSystem(path: location.root, reason: "cannot be removed: \(error.message)")
        }
    }
}
