import Git
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Workspace {
    /// Fast-forwards the branch `record` started from to `tip`, as `git merge --ff-only` would: refused when the
    /// branch moved elsewhere, and when it is checked out, its files are updated first and local changes that would
    /// be overwritten stop it. `here`: HEAD is detached at `tip` in this working tree and goes back on the branch.
    func fastForward(_ record: TaskRecord, to tip: OID, here: Bool) throws {
        guard let branch = record.baseBranch, branch.hasPrefix("refs/heads/") else {
            throw RepositoryError.cannotFastForward(branch: "HEAD", task: record.id, reason: "the task started on a detached HEAD, so there is no branch to move")
        }
        guard let current = try repository.resolveReference(branch) else {
            // Started on a branch with no commit yet: the branch is made at the task's commit, as `git merge` does there.
            guard record.baseCommit == nil else {
                throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "the branch does not exist")
            }
            if !here, try repository.head().branchName == branch {
                do {
                    try repository.checkout(tip, mode: .safe)
                } catch let error as GitError where error.isConflict {
                    throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "untracked files would be overwritten; move them away")
                }
            }
            try repository.updateReference(branch, to: tip, expecting: nil, reflogMessage: "aee: fast-forward to task \(record.id)")
            if here { try repository.attachHead(to: branch) }
            return
        }
        guard try repository.isAncestor(current, of: tip) else {
            throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "it has commits the task does not have")
        }
        let headBranch = try repository.head().branchName
        if here || headBranch == branch {
            if !here {
                // All of it or none: what git holds locked is found before a file is touched, and a lock taken
                // meanwhile puts the files back as they were.
                let locks = [repository.gitDirectory + "index.lock", repository.commonDirectory + branch + ".lock"]
                if let lock = locks.first(where: { FileManager.default.fileExists(atPath: $0) }) {
                    throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "\(lock) exists: another git process is running; try again when it is done")
                }
                let locked = { (error: GitError) in
                    RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "git holds it locked (\(error.message)); try again when the other git process is done")
                }
                if try isSparseCheckout() {
                    // libgit2 takes the files a sparse checkout leaves out as deleted; git updates only their entries.
                    throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "the working tree is a sparse checkout, which git aee does not update as git does")
                }
                try refuseLosingUntracked(from: current, to: tip, branch: branch, task: record.id)
                // Until the branch has moved: a kill between the files and the ref would leave the files the task's
                // and the branch where it was, which the next git aee puts right.
                let journal = try beginFastForward(branch: branch, from: current, to: tip, task: record.id)
                defer { endFastForward(journal) }
                do {
                    try repository.checkout(tip, mode: .safe)
                } catch let error as GitError where error.isConflict {
                    throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "local changes would be overwritten; commit or stash them")
                } catch let error as GitError where error.isLocked {
                    // The files are written before the index, which could not be.
                    try putBack(current, after: tip, writingIndex: false)
                    throw locked(error)
                } catch let error as GitError {
                    // Whatever else stopped the checkout half-way: the files it wrote go back, the branch stays.
                    try? putBack(current, after: tip, writingIndex: false)
                    throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "its files could not be updated (\(error.message)); they were put back")
                }
                do {
                    try repository.updateReference(branch, to: tip, expecting: current, reflogMessage: "aee: fast-forward to task \(record.id)")
                } catch let error as GitError where error.isLocked || error.isModified {
                    try putBack(current, after: tip, writingIndex: true)
                    throw locked(error)
                }
            } else {
                try repository.updateReference(branch, to: tip, expecting: current, reflogMessage: "aee: fast-forward to task \(record.id)")
            }
            try repository.attachHead(to: branch)
        } else if try repository.isCheckedOut(branch: branch) {
            throw RepositoryError.cannotFastForward(branch: branch, task: record.id, reason: "it is checked out in another worktree")
        } else {
            try repository.updateReference(branch, to: tip, expecting: current, reflogMessage: "aee: fast-forward to task \(record.id)")
        }
    }

    /// Written in the git directory while a fast-forward updates this working tree, and held locked: `<branch>`,
    /// `<from>`, `<to>` and `<task>`, a line each.
    var fastForwardJournal: String { repository.gitDirectory + "aee-fast-forward" }

    /// Writes the journal of a fast-forward about to update the files, and returns it opened and locked.
    private func beginFastForward(branch: String, from current: OID, to tip: OID, task: TaskID) throws -> Int32 {
        do {
            try replaceFile(fastForwardJournal, with: Array("\(branch)\n\(current.hex)\n\(tip.hex)\n\(task)\n".utf8))
        } catch {
            throw RepositoryError.fileSystem(path: fastForwardJournal, reason: "cannot be written")
        }
        let descriptor = Glibc.open(fastForwardJournal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor >= 0 { flock(descriptor, LOCK_EX) }
        return descriptor
    }

    private func endFastForward(_ descriptor: Int32) {
        unlink(fastForwardJournal)
        if descriptor >= 0 { close(descriptor) }
    }

    /// A fast-forward of `--merge` that git aee was killed in, between writing the task's files and moving the branch.
    public enum InterruptedFastForward: Equatable {
        /// The files were put back as the branch has them.
        case putBack(branch: String, task: String)
        /// Some files are neither the branch's nor the task's (changed since, or written half-way): left as they are.
        case leftAsItIs(branch: String, task: String, paths: [String])
    }

    /// Puts right a fast-forward a kill stopped in this working tree: when every file it changes is still either as
    /// the branch has it or as the task's commit has it, they all go back to the branch's, index included, so the
    /// working tree matches its branch again (which did not move); else nothing is touched and the files are named.
    /// Nil when there is none, or it is under way in another process.
    public func recoverInterruptedFastForward() -> InterruptedFastForward? {
        let descriptor = Glibc.open(fastForwardJournal, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return nil }
        defer { unlink(fastForwardJournal) }
        let lines = String(decoding: FileManager.default.contents(atPath: fastForwardJournal) ?? Data(), as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count == 4, let from = OID(hex: lines[1]), let to = OID(hex: lines[2]),
              // A branch that moved (to the task's commit: the fast-forward finished) or is not checked out here
              // any more leaves nothing to put right.
              (try? repository.resolveReference(lines[0])) == from, (try? repository.head().branchName) == lines[0],
              let paths = try? repository.changedPaths(from: try repository.commit(from).tree, to: try repository.commit(to).tree) else { return nil }
        let (branch, task) = (String(lines[0].dropFirst("refs/heads/".count)), lines[3])
        do {
            let settled = try repository.pathsAsInWorkingTree(to, among: paths).union(try repository.pathsAsInWorkingTree(from, among: paths))
            let unsettled = paths.filter { !settled.contains($0) }
            guard unsettled.isEmpty else { return .leftAsItIs(branch: branch, task: task, paths: unsettled) }
            try repository.checkout(from, paths: paths, mode: .force)
            return .putBack(branch: branch, task: task)
        } catch {
            return .leftAsItIs(branch: branch, task: task, paths: paths)
        }
    }

    /// Whether the working tree is a sparse checkout (`core.sparseCheckout`): the files outside it are not there, and
    /// libgit2 takes them as deleted.
    func isSparseCheckout() throws -> Bool {
        try settings.bool("core.sparseCheckout") == true
    }

    /// Refuses, as git does ("would lose untracked files"), when a folder the task's tree has as a file instead holds
    /// files git does not track, ignored ones too: a checkout would remove the tracked ones and then fail on the
    /// folder, half-way. (A folder only removed keeps them, as git keeps them.)
    private func refuseLosingUntracked(from current: OID, to tip: OID, branch: String, task: TaskID) throws {
        let replaced = try repository.directoriesReplaced(from: try repository.commit(current).tree, to: try repository.commit(tip).tree)
        guard !replaced.isEmpty else { return }
        // Folders that hold no file (git removes those as it goes) are nothing to lose.
        let root = repository.workingDirectory ?? ""
        let untracked = try repository.ignoredPaths(andUntracked: true).filter { !$0.hasSuffix("/") || Self.holdsFiles(root + $0) }
        if let folder = replaced.first(where: { folder in untracked.contains { $0.hasPrefix(folder + "/") } }) {
            throw RepositoryError.cannotFastForward(branch: branch, task: task, reason: "the task makes the folder \(folder) a file, and it holds files git does not track (or ignores); move them away")
        }
        // git removes the empty folders in them as it goes; libgit2 stops on them.
        for folder in replaced { Self.removeEmptyFolders(in: root + folder) }
    }

    /// Removes the folders under `folder` that hold no file, deepest first.
    private static func removeEmptyFolders(in folder: String) {
        for entry in entries(of: folder) ?? [] where entry.isFolder {
            removeEmptyFolders(in: entry.path)
            rmdir(entry.path)
        }
    }

    /// Whether `folder`, or a folder in it, holds anything but folders.
    private static func holdsFiles(_ folder: String) -> Bool {
        entries(of: folder)?.contains { !$0.isFolder || holdsFiles($0.path) } ?? true
    }

    /// What `folder` holds, each with whether it is a folder (a link to one is not); nil when it cannot be read.
    private static func entries(of folder: String) -> [(path: String, isFolder: Bool)]? {
        (try? FileManager.default.contentsOfDirectory(atPath: folder))?.map { name in
            var info = stat()
            let path = folder + "/" + name
            return (path, lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
        }
    }

    /// Puts the files a checkout of `tip` wrote back as `current` has them (they were `current`'s: a safe checkout
    /// overwrites no local change), and the index too when the checkout wrote it.
    private func putBack(_ current: OID, after tip: OID, writingIndex: Bool) throws {
        let paths = try repository.changedPaths(from: try repository.commit(current).tree, to: try repository.commit(tip).tree)
        guard !paths.isEmpty else { return }
        try repository.checkout(current, paths: paths, mode: .force, writingIndex: writingIndex)
    }
}
