import Git

extension Workspace {
    /// Cancels task `id` (any unfinished state), with what the agent calls of a RUNNING task's attempt under way
    /// spent counted in its usage: that attempt is never merged, which is where its spending is counted otherwise.
    public func cancel(_ id: TaskID, reason: String?, identity: Identity) throws -> (from: TaskState, record: TaskRecord) {
        let store = store
        return try store.transition(id, to: .canceled, kind: .canceled(reason: reason), note: reason.map { "Reason: \($0)" }, identity: identity) { record in
            guard record.state == .canceled, let tip = try? store.tip(of: id),
                  (try? store.record(of: id, at: tip))?.state == .running else { return }
            // Every attempt side by side (`--attempts`) on its own branch, each with its own calls.
            var spent = Usage.unknown
            for candidate in 1... {
                guard let progress = (try? AttemptProgress.read(id, number: record.iteration + 1, candidate: candidate, in: store, taskTip: tip)) ?? nil
                else { break }
                spent = spent + progress.usage
            }
            record.usage = (record.usage ?? .unknown) + spent
        }
    }
}
