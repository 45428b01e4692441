/// What a task's event log says about its runs, derived here and nowhere else: who runs it and with which agent (the
/// last `started` or `resumed`), and what its current run, the events since its `started`, has been through.
struct RunStory {
    /// Every claim (`started`, `resumed`), oldest first, and when it was made.
    let claims: [(TaskEvent.Claim, at: Timestamp)]
    /// The last claim; nil before any run.
    var claim: (TaskEvent.Claim, at: Timestamp)? { claims.last }
    /// The current run's failed iterations, oldest first: each one's failure signature, and whether the agent failed.
    let failures: [(signature: String, agentFailed: Bool)]
    /// The iteration the current run's last event ended (resumes aside), if its last event ended one: a run that died
    /// right after may not have acted on it.
    let lastIterationEnd: TaskEvent.IterationEnd?

    init(_ events: [TaskEvent]) {
        let kinds = events.map(\.kind)
        claims = kinds.indices.compactMap { index in kinds[index].claim.map { ($0, at: events[index].time) } }
        let run = kinds[(kinds.lastIndex { if case .started = $0 { true } else { false } }.map { $0 + 1 } ?? 0)...]
        failures = run.compactMap {
            guard case .iterationEnded(_, _, .failed(_, let signature, let failure)) = $0 else { return nil }
            return (signature ?? "", failure == .agentFailed)
        }
        let last = run.last { if case .resumed = $0 { false } else { true } }
        if case .iterationEnded(_, _, let end) = last { lastIterationEnd = end } else { lastIterationEnd = nil }
    }
}
