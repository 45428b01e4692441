import Git

/// The queue a worker draws from: RUNNING tasks whose run died (on this host: its process is gone; on another: its
/// lease ran out), then QUEUED ones, oldest first. Only the records of
/// branches that moved since the last look are read again, so looking on every file-system event stays cheap with
/// thousands of tasks.
public final class TaskQueue {
    private let store: TaskStore
    private var seen: [TaskID: (tip: OID, record: TaskRecord?, owner: RunOwner?)] = [:]
    private var looked = false
    /// The lease of a task run through a remote, as last fetched; nil without a remote, where an owner on another
    /// host is never judged gone.
    private let lease: ((TaskID) throws -> OID?)?
    private var leases = LeaseWatch()

    /// A task a worker can take: queued, or abandoned by a run that died (to be resumed).
    public struct Entry {
        public let record: TaskRecord
        public let tip: OID
        public var abandoned: Bool { record.state == .running }
    }

    public init(store: TaskStore, lease: ((TaskID) throws -> OID?)? = nil) {
        self.store = store
        self.lease = lease
    }

    /// The tasks ready for a worker; `problem` hears once about each record that cannot be read. `moved`: the task
    /// branches that may have moved since the last look (the others are taken as they were then, so a look costs
    /// the same among 100 tasks as among 100,000); nil, or on the first look, every branch is read.
    public func ready(moved: Set<TaskID>? = nil, problem: (String) -> Void) throws -> [Entry] {
        return try doing("read the queue") {
            var next: [TaskID: (tip: OID, record: TaskRecord?, owner: RunOwner?)] = [:]
            var tips: [TaskID: OID]
            if let moved, looked {
                tips = seen.mapValues(\.tip)
                for id in moved { tips[id] = nil }
                tips.merge(try store.tips(of: moved)) { $1 }
            } else {
                tips = try store.tips()
            }
            looked = true
            for (id, tip) in tips {
                if let known = seen[id], known.tip == tip {
                    next[id] = known
                    continue
                }
                do {
                    let record = try store.record(of: id, at: tip)
                    let owner = record.state == .running ? RunOwner(of: try store.events(of: id, at: tip)) : nil
                    next[id] = (tip, record, owner)
                } catch {
                    // A branch edited by hand into nonsense is skipped, not fatal; it is looked at again when it moves.
                    problem("task \(id) skipped: \(error)")
                    next[id] = (tip, nil, nil)
                }
            }
            seen = next
            // The owner's liveness is asked every time: a process dies without moving any ref.
            let now = Subprocess.now()
            leases.keep(Set(next.compactMap { $0.value.owner?.liveness == .unknown ? $0.key : nil }))
            return try next.values.compactMap { entry -> Entry? in
                guard let record = entry.record else { return nil }
                switch (record.state, entry.owner?.liveness) {
                case (.queued, _), (.running, .gone?):
                    return Entry(record: record, tip: entry.tip)
                case (.running, .unknown?):
                    guard let lease, let seconds = entry.owner?.leaseSeconds else { return nil }
                    let mark = entry.tip.hex + " " + (try lease(record.id)?.hex ?? "none")
                    return leases.expired(record.id, mark: mark, seconds: seconds, now: now) ? Entry(record: record, tip: entry.tip) : nil
                default:
                    return nil
                }
            }
            // Work already begun goes first.
            .sorted { $0.abandoned != $1.abandoned ? $0.abandoned : TaskRecord.createdBefore($0.record, $1.record) }
        }
    }
}
