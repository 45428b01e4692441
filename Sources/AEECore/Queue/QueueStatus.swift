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
        /// The work item being executed, while the stage is `executing` (the first, when several run side by side).
        public let workItem: ItemUnderWay?
        /// Every work item under way, when several run side by side (`--jobs`); nil otherwise.
        public let workItems: [ItemUnderWay]?
        public let startedAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case task, host, pid, alive, stage
            case workItem = "work_item"
            case workItems = "work_items"
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
                let (stage, items) = try store.progress(of: record)
                return QueueStatus.Run(task: record, host: owner.host, pid: owner.pid, alive: owner.mayBeAlive,
                                       stage: stage, workItem: items.first, workItems: items.count > 1 ? items : nil, startedAt: owner.since)
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
    /// The items under way are those started beside the attempt and not finished (side by side), else the first not done.
    func progress(of record: TaskRecord) throws -> (RunStage, [QueueStatus.ItemUnderWay]) {
        guard let taskTip = try repository.resolveReference(record.id.branch),
              let attempt = try? AttemptProgress.read(record.id, number: record.iteration + 1, in: self, taskTip: taskTip),
              let plan = attempt.plan else { return (.planning, []) }
        let done = Set(attempt.done.map(\.item))
        guard done.count < plan.items.count || !attempt.conflicts.isEmpty else { return (.verifying, []) }
        let beside = Set(attempt.startedBeside)
        let underWay = plan.items.indices.filter { beside.isEmpty ? !done.contains(plan.items[$0].id) : beside.contains(plan.items[$0].id) }
        return (.executing, underWay.prefix(beside.isEmpty ? 1 : underWay.count).map { index in
            QueueStatus.ItemUnderWay(index: index + 1, count: plan.items.count, id: plan.items[index].id, title: plan.items[index].title)
        })
    }
}
