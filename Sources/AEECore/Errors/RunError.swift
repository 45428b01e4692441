/// What can go wrong with starting, running and resuming a task's run.
public enum RunError: AEEError, Equatable {
    /// A run that had started stopped on an error (`reason`); its task is left BLOCKED with what it did so far.
    case runStopped(TaskID, reason: String)
    /// The same, when the stop could not be recorded either (a full disk): the task is left RUNNING, its owner gone.
    case runStoppedUnrecorded(TaskID, reason: String)
    case branchMovedUnderRun(branch: String)
    /// The task's branch was deleted while a run of it went on; the run ended there.
    case deletedWhileRunning(TaskID, attempts: [String], keptWorkspace: String?)
    case interactiveNeedsTerminal
    case interactiveCannotQueue
    case notRunnable(TaskID, TaskState)
    case alreadyRunning(TaskID, owner: String, alive: Bool)
    case attemptExists(TaskID, branch: String)
    case notRunning(TaskID, TaskState)
    case ownerUnknown(TaskID, owner: String)
    case cannotResume(TaskID, reason: String)
    /// Attempts side by side (`--attempts`, `--agents`) with an option they do not go with.
    case attemptsWith(String)
    /// `--merge` with no branch to move: the task starts (or started, `id`) on a detached HEAD.
    case mergeWithoutBranch(TaskID?)
    /// `run` or `resume` without `--remote` of a task shared through `remote`, where a worker may run it too.
    case sharedThroughRemote(TaskID, remote: String)
    /// `--merge` into a working tree that is a sparse checkout, which git aee does not update as git does.
    case mergeIntoSparseCheckout

    public var description: String {
        switch self {
        case .runStopped(_, let reason), .runStoppedUnrecorded(_, let reason):
            reason
        case .attemptsWith(let option):
            "attempts side by side (--attempts, --agents) cannot run with \(option)"
        case .branchMovedUnderRun(let branch):
            "\(branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch) was moved by something other than the run while it wrote to it"
        case .deletedWhileRunning(let id, _, _):
            "the branch aee/\(id) was deleted while the task ran; the run stopped"
        case .interactiveNeedsTerminal:
            "interactive mode asks for approval of the plan on a terminal, and there is none"
        case .interactiveCannotQueue:
            "an interactive task cannot be queued: a worker has no terminal to ask for approval on"
        case .notRunnable(let id, let state):
            "task \(id) is \(state); only APPROVED, QUEUED or BLOCKED tasks can run"
        case .alreadyRunning(let id, let owner, let alive):
            alive ? "task \(id) is already running (\(owner))" : "task \(id) was left RUNNING by \(owner), which is no longer running"
        case .attemptExists(let id, let branch):
            "task \(id): branch \(branch.dropFirst("refs/heads/".count)) is left over from a run that did not finish"
        case .notRunning(let id, let state):
            "task \(id) is \(state), not RUNNING: there is no run to resume"
        case .ownerUnknown(let id, let owner):
            "task \(id) is run by \(owner), which this machine cannot check"
        case .cannotResume(let id, let reason):
            "cannot resume task \(id): \(reason)"
        case .sharedThroughRemote(let id, let remote):
            "task \(id) is shared through \(remote.quotedInMessage), where a worker may run it too; run it through \(remote.quotedInMessage)"
        case .mergeIntoSparseCheckout:
            "--merge would update this working tree, a sparse checkout, which git aee does not update as git does"
        case .mergeWithoutBranch(let id):
            (id.map { "task \($0) started" } ?? "the task would start") + " on a detached HEAD, so --merge has no branch to fast-forward"
        }
    }
}
