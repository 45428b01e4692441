import Git

/// What a run works with once it has its task, fixed for the run: the task, the repository and the store it writes
/// through, the settings, agent and gates, and where it reports.
struct RunContext {
    let id: TaskID
    let workspace: Workspace
    /// With a remote, each commit goes there before a branch here moves.
    let store: TaskStore
    let settings: RunSettings
    let options: RunOptions
    let redactor: Redactor
    let remote: TaskRemote?
    let agent: AgentDriver
    let gatePlan: [Gate]
    /// When the task's own time runs out (`--timeout`), by the monotonic clock.
    let deadline: Double?
    /// Where the gate pass notes stood when the run began (nil: there were none); passes are read as of then, so a note
    /// an agent wrote straight into the repository while it ran does not count.
    let passesBeforeTheRun: OID?
    let events: @Sendable (RunEvent) -> Void
    /// Shows the plan to a human and returns their verdict; nil when there is no terminal to ask on.
    let approve: ((String) -> Bool)?
    /// For an attempt that runs beside others: asked between steps and while its agent works; true once another
    /// attempt has won the iteration, and this one is to stop.
    var lost: (@Sendable () -> Bool)? = nil
    /// For an attempt that runs beside others: what they all spend, which its budget counts.
    var spending: AttemptRace.Spending? = nil

    /// The context of attempt `candidate` of an iteration run side by side: the repository through `twin`, handles of
    /// its own (it runs on a thread of its own), its own agent working in `taskWorkspace`, its settings
    /// (`RunSettings.attempt(by:)`), and what it reports reduced to its warnings.
    func candidate(_ candidate: StageAgent, through twin: Workspace, in taskWorkspace: TaskWorkspace, lost: @escaping @Sendable () -> Bool) -> RunContext {
        let settings = settings.attempt(by: candidate)
        var driver = agent.working(in: taskWorkspace)
        driver.program = candidate.program
        let events = events
        return RunContext(id: id, workspace: twin, store: twin.store, settings: settings, options: options, redactor: redactor, remote: nil,
                          agent: driver, gatePlan: gatePlan, deadline: deadline, passesBeforeTheRun: passesBeforeTheRun,
                          events: { event in if case .warning = event { events(event) } }, approve: nil, lost: lost)
    }

    /// The agent that serves `stage`: the one `.aee/config.json` names for it, else the run's.
    func agent(for stage: AgentStage) -> AgentDriver {
        var driver = agent
        if let own = settings.roles[stage] { driver.program = own.program }
        driver.stopRequested = lost
        return driver
    }

    /// The commit the task's branch points at now.
    func taskTip() throws -> OID {
        try store.tip(of: id)
    }

    /// Whether the task is still this run's: RUNNING, its last `started` or `resumed` naming this process.
    func ownsTask() throws -> Bool {
        let tip = try taskTip()
        return try store.record(of: id, at: tip).state == .running && RunOwner(of: try store.events(of: id, at: tip)).isThisProcess
    }
}

/// What changes as a run goes on.
struct RunState {
    /// The task's record as of the last iteration's end.
    var record: TaskRecord
    /// Where the agent works; made again when an agent breaks it.
    var taskWorkspace: TaskWorkspace
    /// Where work items that run beside the first of their wave work (`--jobs`), by slot from 1, made when first needed.
    var besideWorkspaces: [Int: TaskWorkspace] = [:]
    /// The ignored files the gates left in the workspace last time (build output), kept for the next gate run.
    var gateLeftovers: Set<String> = []
    /// Whether the run said that `--max-cost` cannot stop it (an agent that reports no cost); said once.
    var warnedOfUnknownCost = false
    /// What this run has been through, for its stop rules.
    var counts = RunRule.Counts()
}
