import Git

/// The queue a worker draws from: RUNNING tasks whose run died, then QUEUED ones, oldest first. Only the records of
/// branches that moved since the last look are read again, so looking on every file-system event stays cheap with
/// thousands of tasks.
public final class TaskQueue {
    private let store: TaskStore
    private var seen: [TaskID: (tip: OID, record: TaskRecord?, owner: RunOwner?)] = [:]

    /// A task a worker can take: queued, or abandoned by a run that died (to be resumed).
    public struct Entry {
        public let record: TaskRecord
        public let tip: OID
        public var abandoned: Bool { record.state == .running }
    }

    public init(store: TaskStore) { self.store = store }

    /// The tasks ready for a worker; `problem` hears once about each record that cannot be read.
    public func ready(problem: (String) -> Void) throws -> [Entry] {
        var next: [TaskID: (tip: OID, record: TaskRecord?, owner: RunOwner?)] = [:]
        for (id, tip) in try store.tips() {
            if let known = seen[id], known.tip == tip {
                next[id] = known
                continue
            }
            do {
                let record = try store.record(of: id, at: tip)
                let owner = record.state == .running
                    ? RunOwner(startedBy: try store.events(of: id, at: tip).last { RunOwner.ownershipEvents.contains($0.event) }) : nil
                next[id] = (tip, record, owner)
            } catch {
                // A branch edited by hand into nonsense is skipped, not fatal; it is looked at again when it moves.
                problem("task \(id) skipped: \(error)")
                next[id] = (tip, nil, nil)
            }
        }
        seen = next
        // The owner's liveness is asked every time: a process dies without moving any ref.
        return next.values.compactMap { entry -> Entry? in
            guard let record = entry.record else { return nil }
            switch record.state {
            case .queued: return Entry(record: record, tip: entry.tip)
            case .running where entry.owner?.liveness == .gone: return Entry(record: record, tip: entry.tip)
            default: return nil
            }
        }
        // Work already begun goes first.
        .sorted { $0.abandoned != $1.abandoned ? $0.abandoned : TaskRecord.createdBefore($0.record, $1.record) }
    }
}
