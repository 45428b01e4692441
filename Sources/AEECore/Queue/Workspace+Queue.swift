import Git

extension Workspace {
    /// Creates a task and leaves it QUEUED for a worker (created, approved and queued: three events). Its gates are
    /// checked now; its agent is the worker's, resolved when it runs. With `push`, the task branch is pushed there
    /// for the workers of other clones.
    public func queueTask(title: String, metadata: TaskMetadata, push: String? = nil) throws -> (record: TaskRecord, identity: Identity) {
        return try doing("queue the task") {
            if metadata.runMode == .interactive { throw RunError.interactiveCannotQueue }
            let remote = try push.map { try TaskRemote(name: $0, repository: repository) }
            _ = try GateCatalog(config: try projectConfig(), settings: settings).plan(metadata.gates)
            let (queued, identity) = try createTask(title: title, metadata: metadata, then: [TaskStore.Move(to: .approved), TaskStore.Move(to: .queued)])
            // A new id: nobody else can have the branch, so only an unreachable remote stops this; the task is then
            // taken back, so that the refusal leaves nothing behind.
            do {
                // A ref the remote refuses (its pre-receive hook) is as much a failure as a remote out of reach.
                if let refused = try remote?.publish([queued.id.branch]).first {
                    throw RemoteError.failed(remote!.name, action: "push to", reason: "it refused \(refused.dropFirst("refs/heads/".count))")
                }
            } catch RemoteError.failed(let name, _, let reason) {
                try? repository.deleteReference(queued.id.branch, expecting: try store.tip(of: queued.id))
                throw RemoteError.failed(name, action: "queue the task on", reason: reason)
            }
            return (queued, identity)
        }
    }

    /// Removes task `id`, which this process has just created, when a step after that failed before any run claimed
    /// it (DRAFT, APPROVED or QUEUED, on this clone only): the command's failure then leaves nothing behind.
    public func takeBackUnstarted(_ id: TaskID) {
        guard let tip = try? store.tip(of: id), let record = try? store.record(of: id, at: tip),
              [.draft, .approved, .queued].contains(record.state) else { return }
        try? repository.deleteReference(id.branch, expecting: tip)
    }

    /// Fetches the task branches from `remote` and fast-forwards the local ones (what a run with `--remote` does
    /// before it looks at its task; the remote's new tasks are made local by `adoptTasks`); returns the branches that
    /// diverged from the remote's. With `settle`, each of those takes the remote's side, and this clone's is kept at
    /// the ref returned with it.
    public func syncTasks(from remote: String, settle: Bool = false) throws -> [(divergence: TaskRemote.Divergence, kept: String?)] {
        return try doing("sync the tasks of \(remote)") {
            let tasks = try TaskRemote(name: remote, repository: repository)
            let diverged = try tasks.sync(adopting: false).map { ($0, settle ? try tasks.settle($0) : nil) }
            // A lease left here by a run that died (kill -9) on a task another clone has since ended.
            for (ref, lease) in try repository.references(matching: "refs/aee/leases/*") {
                guard let id = TaskID(String(ref.dropFirst("refs/aee/leases/".count))),
                      (try? store.record(of: id))?.state.isFinal == true else { continue }
                try? repository.deleteReference(ref, expecting: lease)
            }
            return diverged
        }
    }

    /// The remotes task `id` is shared through: those configured here whose copy of its branch git aee pushed (`--push`,
    /// a run with `--remote`) or a fetch brought; none for a task of this clone alone. A copy that only your own `git
    /// push` made (a backup: `git push mirror --all`) shares nothing; where git keeps no reflog, any copy counts.
    public func sharingRemotes(of id: TaskID) throws -> [String] {
        return try doing("find where task \(id) is shared") {
            try repository.references(matching: "refs/remotes/*/aee/\(id)").filter { tracking in
                let log = (try? repository.refLog(tracking.name)) ?? []
                return log.isEmpty || log.contains { !$0.message.hasPrefix("update by push") }
            }.map {
                String($0.name.dropFirst("refs/remotes/".count).dropLast("/aee/\(id)".count))
            }.filter { (try? repository.remoteURL($0)) != nil }
        }
    }

    /// Makes local the task branches last fetched from `remote` that have none here: `id`'s, or all.
    public func adoptTasks(from remote: String, only id: TaskID? = nil) throws {
        try doing("make the tasks of \(remote) local") { try TaskRemote(name: remote, repository: repository).adopt(id) }
    }

    /// Pushes to `remote` the task branches here that are ahead of its copy and whose run is over (ended, or
    /// BLOCKED): a run whose last pushes failed while the remote was out of reach leaves its end here alone, with no
    /// run left to push it. Their leases there go too, and their attempt branches there become what they are here.
    /// Each push only moves the remote's branch forward from where it was last fetched; returns the task branches
    /// pushed. (After `syncTasks`, which fetches.)
    public func deliverEndedTasks(to remote: String) throws -> [String] {
        return try doing("push the ended tasks to \(remote)") {
            let tasks = try TaskRemote(name: remote, repository: repository)
            var updates: [(ref: String, target: OID?)] = [], ends: [TaskID] = []
            for (id, local) in try store.tips().sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                // The remote's copy was at this end once (the run pushed it, or a fetch saw it): someone moved it back
                // there since, which is theirs to undo, not this clone's.
                guard let theirs = try repository.resolveReference(tasks.tracking(id.branch)), theirs != local,
                      try !repository.refLogHolds(tasks.tracking(id.branch), local),
                      try repository.isAncestor(theirs, of: local),
                      let record = try? store.record(of: id, at: local), record.state.isFinal || record.state == .blocked else { continue }
                updates.append((id.branch, local))
                ends.append(id)
                if try repository.resolveReference(tasks.tracking(Lease.ref(id))) != nil { updates.append((Lease.ref(id), nil)) }
                // The attempt branches the run would have deleted there at its end: gone here, held by the task's end.
                for (tracked, tip) in try repository.references(matching: tasks.tracking(id.branch) + "-attempt-*") {
                    let attempt = taskBranchPrefix + tracked.dropFirst(tasks.tracking(taskBranchPrefix).count)
                    if try repository.resolveReference(attempt) == nil, try repository.isAncestor(tip, of: local) { updates.append((attempt, nil)) }
                }
                // And those it kept (failed attempts), which its pushes could not take there either.
                for (attempt, tip) in try repository.references(matching: id.branch + "-attempt-*")
                where try repository.resolveReference(tasks.tracking(attempt)) != tip {
                    updates.append((attempt, tip))
                }
            }
            guard !updates.isEmpty else { return [] }
            let rejected = Set(try tasks.publish(updates))
            return ends.map(\.branch).filter { !rejected.contains($0) }.map { String($0.dropFirst("refs/heads/".count)) }
        }
    }

    /// The fetch refspec for `remote`'s task branches, and whether a plain `git fetch <remote>` brings them (after
    /// adding the refspec to `remote.<remote>.fetch` when `add` says so). `remote.<remote>.push` is never set: it
    /// would silently change what a plain `git push` pushes.
    public func taskRefspec(of remote: String, add: Bool) throws -> (refspec: String, configured: Bool) {
        return try doing("read the fetch refspecs of \(remote)") {
            let tasks = try TaskRemote(name: remote, repository: repository)
            let refspec = TaskRemote.refspec(for: remote)
            let sample = taskBranchPrefix + "sample"
            if try repository.fetchMaps(sample, to: tasks.tracking(sample), remote: remote) { return (refspec, true) }
            if add { try repository.addFetchRefspec(refspec, to: remote) }
            return (refspec, add)
        }
    }
}
