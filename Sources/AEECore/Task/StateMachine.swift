/// The legal moves between task states and the event each one records.
public enum StateMachine {
    static let moves: [TaskState: [TaskState]] = [
        .draft: [.approved, .canceled],
        .approved: [.queued, .canceled],
        .queued: [.running, .canceled],
        .running: [.succeeded, .failed, .blocked, .canceled],
        .blocked: [.queued, .canceled],
        .succeeded: [],
        .failed: [],
        .canceled: [],
    ]

    public static func successors(of state: TaskState) -> [TaskState] {
        moves[state] ?? []
    }

    /// The event type of the move `from` -> `to`, or nil when the move is illegal.
    public static func event(from: TaskState, to: TaskState) -> String? {
        guard successors(of: from).contains(to) else { return nil }
        switch to {
        case .draft: return "created"
        case .approved: return "approved"
        case .queued: return from == .blocked ? "requeued" : "queued"
        case .running: return "started"
        case .succeeded: return "succeeded"
        case .failed: return "failed"
        case .blocked: return "blocked"
        case .canceled: return "canceled"
        }
    }
}
