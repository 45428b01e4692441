/// The stages of one iteration.
public enum RunStage: String, Encodable, Sendable {
    case planning, executing, verifying
}

/// What a run reports as it goes, for a live display.
public enum RunEvent: Sendable {
    case started(TaskID, workspace: String)
    case stage(iteration: Int, RunStage)
    case workItem(iteration: Int, index: Int, count: Int, WorkItem)
    /// A work item's call ended and its commit was made; `beside`: it ran beside others (`--jobs`).
    case workItemEnded(iteration: Int, index: Int, count: Int, WorkItem, status: AgentReport.Status, beside: Bool)
    case gate(GateEvent)
    /// Attempt `candidate` of an iteration run side by side (`--attempts`) started, with `agent`.
    case attemptStarted(iteration: Int, candidate: Int, agent: String)
    /// It ended: `verdict` is `passed`, `lost`, `failed` or the reason it stopped.
    case attemptEnded(iteration: Int, candidate: Int, agent: String, verdict: String)
    /// What a built-in agent is doing now (`Edit calc.sh`, `Bash: sh test.sh`), from its CLI's output.
    case agentActivity(String)
    /// An iteration is over: `outcome` is the event recorded (`iteration_passed`, `iteration_failed`, ...).
    case iterationEnded(iteration: Int, end: TaskEvent.IterationEnd)
    /// Something went wrong that does not stop the run (a push that did not get through).
    case warning(String)
}

/// How a run ended.
public struct RunResult: Sendable {
    public let record: TaskRecord
    public let reason: ExitReason
    /// The workspace kept for inspection (interrupted or blocked runs), if any.
    public let keptWorkspace: String?
    /// Why a workspace that would have been removed was kept (it holds work found nowhere else).
    public let keptBecause: String?
    /// Why `--merge` could not fast-forward the base branch (the task itself succeeded).
    public let mergeError: (any AEEError)?
    /// The commit `--merge` fast-forwarded the base branch to.
    public var merged: String?
}
