import Git

extension Workspace {
    /// Fast-forwards the branch `record` started from to `tip`, as `git merge --ff-only` would: refused when the
    /// branch moved elsewhere, and when it is checked out, its files are updated first and local changes that would
    /// be overwritten stop it. `here`: HEAD is detached at `tip` in this working tree and goes back on the branch.
    func fastForward(_ record: TaskRecord, to tip: OID, here: Bool) throws {
        guard let branch = record.baseBranch, branch.hasPrefix("refs/heads/") else {
            throw AEEError.cannotFastForward(branch: "HEAD", task: record.id, reason: "the task started on a detached HEAD, so there is no branch to move")
        }
        guard let current = try repository.resolveReference(branch) else {
            throw AEEError.cannotFastForward(branch: branch, task: record.id, reason: "the branch does not exist")
        }
        guard try repository.isAncestor(current, of: tip) else {
            throw AEEError.cannotFastForward(branch: branch, task: record.id, reason: "it has commits the task does not have")
        }
        let headBranch = try repository.head().branchName
        if here || headBranch == branch {
            if !here {
                do {
                    try repository.checkout(tip, mode: .safe)
                } catch let error as GitError where error.isConflict {
                    throw AEEError.cannotFastForward(branch: branch, task: record.id, reason: "local changes would be overwritten; commit or stash them")
                }
            }
            try repository.updateReference(branch, to: tip, expecting: current, reflogMessage: "aee: fast-forward to task \(record.id)")
            try repository.attachHead(to: branch)
        } else if try repository.isCheckedOut(branch: branch) {
            throw AEEError.cannotFastForward(branch: branch, task: record.id, reason: "it is checked out in another worktree")
        } else {
            try repository.updateReference(branch, to: tip, expecting: current, reflogMessage: "aee: fast-forward to task \(record.id)")
        }
    }
}
