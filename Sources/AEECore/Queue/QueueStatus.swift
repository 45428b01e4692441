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
        /// How far the current attempt is, from its newest commit.
        public let stage: RunStage
        /// The work item being executed, while the stage is `executing`.
        public let workItem: ItemUnderWay?
        public let startedAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case task, host, pid, alive, stage
            case workItem = "work_item"
            case startedAt = "started_at"
        }
    }

    /// Work item `index` (from 1) of `count` in the running attempt's plan.
    public struct ItemUnderWay: Encodable {
        public let index: Int
        public let count: Int
        public let id: String
        public let title: String
    }

    public let queued: [TaskRecord]
    public let running: [Run]
    /// Finished tasks (and blocked ones), newest first.
    public let recent: [TaskRecord]
}

extension Workspace {
    /// The queue, the runs and the `recent` most recently finished tasks.
    public func queueStatus(recent: Int) throws -> (status: QueueStatus, problems: [String]) {
        return try doing("read the queue") {
            let listing = try store.list()
            let records = listing.tasks.map(\.record)
            let running = try records.filter { $0.state == .running }.map { record in
                let owner = RunOwner(of: try store.events(of: record.id))
                let (stage, item) = try store.progress(of: record)
                return QueueStatus.Run(task: record, host: owner.host, pid: owner.pid, alive: owner.mayBeAlive,
                                       stage: stage, workItem: item, startedAt: owner.since)
            }
            let finished = records.filter { $0.state.isFinal || $0.state == .blocked }.sorted { ($0.updatedAt, $0.id) > ($1.updatedAt, $1.id) }
            return (QueueStatus(queued: records.filter { $0.state == .queued }, running: running, recent: Array(finished.prefix(recent))),
                    listing.problems)
        }
    }

}

extension TaskStore {
    /// How far `record`'s running iteration is, from the commits of its attempt branch (planning while it has none,
    /// or when they are in a shape resume would refuse).
    func progress(of record: TaskRecord) throws -> (RunStage, QueueStatus.ItemUnderWay?) {
        guard let taskTip = try repository.resolveReference(record.id.branch),
              let attempt = try? AttemptProgress.read(record.id, number: record.iteration + 1, in: self, taskTip: taskTip),
              let plan = attempt.plan else { return (.planning, nil) }
        guard attempt.done.count < plan.items.count else { return (.verifying, nil) }
        let item = plan.items[attempt.done.count]
        return (.executing, QueueStatus.ItemUnderWay(index: attempt.done.count + 1, count: plan.items.count, id: item.id, title: item.title))
    }
}
