import Git

/// The queue a worker draws from: QUEUED tasks, oldest first. Only the records of branches that moved since the
/// last look are read again, so looking on every file-system event stays cheap with thousands of tasks.
public final class TaskQueue {
    private let store: TaskStore
    private var seen: [TaskID: (tip: OID, record: TaskRecord?)] = [:]

    public init(store: TaskStore) { self.store = store }

    /// The queued tasks with their tips, oldest first; `problem` hears once about each record that cannot be read.
    public func queued(problem: (String) -> Void) throws -> [(record: TaskRecord, tip: OID)] {
        var next: [TaskID: (tip: OID, record: TaskRecord?)] = [:]
        for (id, tip) in try store.tips() {
            if let known = seen[id], known.tip == tip {
                next[id] = known
                continue
            }
            do {
                next[id] = (tip, try store.record(of: id, at: tip))
            } catch {
                // A branch edited by hand into nonsense is skipped, not fatal; it is looked at again when it moves.
                problem("task \(id) skipped: \(error)")
                next[id] = (tip, nil)
            }
        }
        seen = next
        return next.values.compactMap { entry in entry.record.map { ($0, entry.tip) } }
            .filter { $0.record.state == .queued }
            .sorted { TaskRecord.createdBefore($0.record, $1.record) }
    }
}
