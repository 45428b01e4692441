extension Workspace {
    /// Creates a task and leaves it QUEUED for a worker (created, approved and queued: three events). Its gates are
    /// checked now; its agent is the worker's, resolved when it runs.
    public func queueTask(title: String, metadata: TaskMetadata) throws -> (record: TaskRecord, identity: Identity) {
        if metadata.runMode == .interactive { throw AEEError.interactiveCannotQueue }
        _ = try GateCatalog(config: try projectConfig(), settings: settings).plan(metadata.gates)
        let (record, identity) = try createTask(title: title, metadata: metadata)
        try store.transition(record.id, to: .approved, identity: identity)
        let (_, queued) = try store.transition(record.id, to: .queued, identity: identity)
        return (queued, identity)
    }
}
