/// Why a run ended; every run ends with exactly one, recorded as the task's `exit_reason`.
public enum ExitReason: String, Codable, Sendable, CaseIterable, FileChoice {
    /// The gates passed.
    case done
    case maxIterations = "max_iterations"
    /// A human is needed; the cause is recorded beside it.
    case blocked
    case canceled
    /// SIGINT, SIGTERM or SIGHUP; the workspace is kept and `git aee run` continues the task.
    case interrupted
    case agentError = "agent_error"
    /// The task's own wall-clock limit.
    case timeout
    /// The same failure repeated iteration after iteration.
    case stalled
    /// The agents' reported cost passed `--max-cost`.
    case budget

    /// The state a run ending this way leaves the task in.
    public var state: TaskState {
        switch self {
        case .done: .succeeded
        case .blocked, .interrupted: .blocked
        case .canceled: .canceled
        case .maxIterations, .agentError, .timeout, .stalled, .budget: .failed
        }
    }
}

/// Where the next iteration starts after one fails: on top of the failed attempt, or from the task's base again.
public enum RetryStrategy: String, Codable, Sendable, CaseIterable, FileChoice {
    case `continue`
    case fresh
}
