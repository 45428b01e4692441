import Git
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a task's files are while it runs: a linked worktree of git aee's own under the git directory (so the
/// user's checkout is never touched and tasks can run side by side), or, with `--here`, the user's working tree.
/// HEAD is kept detached at the commit last written, so no branch is held and `git status` there stays clean.
struct TaskWorktree {
    let repository: Repository
    /// The root, ending with `/`.
    let root: String
    /// The linked worktree's name in git (`aee-<id>`), or nil for the user's own working tree.
    let linkedName: String?

    /// The directory git aee reserves for itself in the common git directory.
    static func aeeDirectory(of repository: Repository) -> String { repository.commonDirectory + "aee/" }

    /// The linked worktree for `id`, created at `commit` (reused when an interrupted run left it).
    static func linked(for id: TaskID, in main: Repository, at commit: OID) throws -> TaskWorktree {
        let name = "aee-\(id)"
        let path = aeeDirectory(of: main) + "worktrees/\(id)"
        if !main.hasWorktree(name: name) {
            try create(name, at: path, commit: commit, in: main)
            return TaskWorktree(repository: try Repository.open(at: path), root: path + "/", linkedName: name)
        }
        let worktree = TaskWorktree(repository: try Repository.open(at: path), root: path + "/", linkedName: name)
        // The run that left it may have been killed writing its index or HEAD; this run holds the claim now.
        try worktree.repository.clearStaleWorkingTreeLocks()
        try worktree.move(to: commit)
        return worktree
    }

    /// Adds the worktree `name` at `path`, clearing first what a crash or an earlier try left there.
    private static func create(_ name: String, at path: String, commit: OID, in main: Repository) throws {
        try main.removeWorktree(name: name, path: path)
        do {
            try FileManager.default.createDirectory(atPath: aeeDirectory(of: main) + "worktrees", withIntermediateDirectories: true)
        } catch {
            throw AEEError.fileSystem(path: aeeDirectory(of: main), reason: "cannot create the task's worktree there")
        }
        try main.addWorktree(name: name, path: path, commit: commit)
    }

    /// The user's own working tree, moved to `commit`; `TaskRunner.check` has refused a tree with changes, and the
    /// safe checkout refuses to overwrite any that appeared since.
    static func here(_ main: Repository, at commit: OID) throws -> TaskWorktree {
        guard let root = main.workingDirectory else { throw AEEError.needsWorkTree(command: "run --here") }
        try main.checkoutDetached(commit, mode: .safe)
        return TaskWorktree(repository: main, root: root, linkedName: nil)
    }

    /// Makes every file match `commit` (discarding what an agent left) and detaches HEAD there.
    func move(to commit: OID) throws {
        try repository.checkoutDetached(commit, mode: .force)
    }

    /// Stages what the agent changed, leaving `.aee/` as the last commit had it; returns the paths staged and the
    /// refused ones. `tree(adding:)` then makes the commit's tree.
    func stage() throws -> (changed: [String], refused: [String]) {
        try repository.stageWorkingTree(protecting: ".aee")
    }

    /// What was staged, with the records of the commit about to be made.
    func tree(adding records: [TreeUpdate]) throws -> OID {
        try repository.indexTree(adding: records)
    }

    /// After `commit` (whose tree is `tree`) wrote the files `records`: writes them into `.aee/` and the index (a
    /// few files, where a checkout would visit every file), puts back what an agent changed there, and moves HEAD
    /// to the commit.
    func follow(_ commit: OID, tree: OID, records: [String], refused: [String]) throws {
        if refused.isEmpty {
            try repository.syncFiles(records, to: tree)
        } else {
            // Anything may be on disk there (symlinks, directories for files): a forced checkout of `.aee` copes
            // with all of it. It reloads the index first, so the staged entries are written before.
            try repository.writeIndex()
            try repository.checkout(commit, paths: [".aee"], mode: .force)
        }
        try repository.detachHead(at: commit)
    }

    /// Removes a linked worktree and its files; the user's own working tree stays.
    func remove(from main: Repository) throws {
        guard let linkedName else { return }
        try main.removeWorktree(name: linkedName, path: root)
    }
}
