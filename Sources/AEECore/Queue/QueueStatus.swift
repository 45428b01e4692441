import Git

/// What `git aee status` shows: the queue, the runs in progress and what finished lately.
public struct QueueStatus: Encodable {
    /// A RUNNING task, who runs it, and how far it is.
    public struct Run: Encodable {
        public let task: TaskRecord
        public let host: String
        public let pid: Int32?
        /// False when the owner was on this host and its process is gone: `git aee resume` territory.
        public let alive: Bool
        /// `planning`, `executing` or `verifying`, from the newest commit of the current attempt.
        public let stage: String
        public let startedAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case task, host, pid, alive, stage
            case startedAt = "started_at"
        }
    }

    public let queued: [TaskRecord]
    public let running: [Run]
    /// Finished tasks (and blocked ones), newest first.
    public let recent: [TaskRecord]
}

extension Workspace {
    /// The queue, the runs and the `recent` most recently finished tasks.
    public func queueStatus(recent: Int) throws -> (status: QueueStatus, problems: [String]) {
        let listing = try store.list()
        let records = listing.tasks.map(\.record)
        let running = try records.filter { $0.state == .running }.map { record in
            let owner = RunOwner(of: try store.events(of: record.id))
            return QueueStatus.Run(task: record, host: owner.host, pid: owner.pid, alive: owner.mayBeAlive,
                                   stage: try stage(of: record), startedAt: owner.since)
        }
        let finished = records.filter { $0.state.isFinal || $0.state == .blocked }.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
        return (QueueStatus(queued: records.filter { $0.state == .queued }, running: running, recent: Array(finished.prefix(recent))),
                listing.problems)
    }

    /// How far the running iteration is, from the last event on its attempt branch.
    private func stage(of record: TaskRecord) throws -> String {
        guard let tip = try repository.resolveReference(record.id.attemptBranch(record.iteration + 1)),
              let event = try Trailer.parse(try repository.commit(tip).message).last(where: { $0.key == "AEE-Event" })?.value,
              try repository.resolveReference(record.id.branch) != tip else { return "planning" }
        return event == "verified" ? "verifying" : "executing"
    }
}
