import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs one task to an explicit end: iterations of plan, execute and verify in the task's workspace, each on a branch
/// `aee/<id>-attempt-<n>` merged back into `aee/<id>`, until the gates pass or a limit says stop.
/// Every step is a commit written before the next begins, so a crash loses at most the step in progress.
public final class TaskRunner {
    let workspace: Workspace
    let settings: RunSettings
    let options: RunOptions
    let events: @Sendable (RunEvent) -> Void
    /// Shows the plan to a human and returns their verdict; nil when there is no terminal to ask on.
    let approve: ((String) -> Bool)?
    /// Where the run's commits are pushed as they are made, when the task is shared through a remote.
    let remote: TaskRemote?
    /// Takes secrets out of what the run commits.
    let redactor: Redactor
    /// The claim of the `started` or `resumed` event: this process, and its lease when there is a remote. The agent is
    /// recorded so that `run` and `resume` of the task use it again without being told.
    var claim: TaskEvent.Claim {
        TaskEvent.Claim(process: RunOwner.thisProcess, agent: redactor.redact(settings.agent.name), model: settings.model,
                        leaseSeconds: remote == nil ? nil : settings.leaseSeconds)
    }

    // The run's state, set up by `run` before the first iteration.
    var id: TaskID!
    var record: TaskRecord!
    var taskWorkspace: TaskWorkspace!
    /// The task store this run writes through: with a remote, each commit goes there before a branch here moves.
    private(set) var store: TaskStore
    /// Whether the remote took this run's claim; until it has, a remote that cannot be reached stops the run.
    private var claimed = false
    var agent: AgentDriver!
    var gatePlan: [Gate] = []
    var deadline: Double?
    /// Where the gate pass notes stood when the run began (nil: there were none); passes are read as of then, so a note
    /// an agent wrote straight into the repository while it ran does not count.
    var passesBeforeTheRun: OID?
    /// The ignored files the gates left in the workspace last time (build output), kept for the next gate run.
    var gateLeftovers: Set<String> = []
    /// Whether the run said that `--max-cost` cannot stop it (an agent that reports no cost); said once.
    var warnedOfUnknownCost = false
    /// What this run has been through, for its stop rules.
    private var counts = RunRule.Counts()

    /// Resolves the agent and limits now, so a run that cannot start says so before anything is written.
    public init(workspace: Workspace, options: RunOptions, events: @escaping @Sendable (RunEvent) -> Void = { _ in }, approve: ((String) -> Bool)?) throws {
        self.workspace = workspace
        self.options = options
        self.events = events
        self.approve = approve
        settings = try workspace.runSettings(options)
        redactor = Redactor(environment: workspace.environment)
        remote = try options.remote.map { try TaskRemote(name: $0, repository: workspace.repository) }
        store = workspace.store
        if remote != nil { store.beforeMoving = { [unowned self] in try self.sendFirst($0, $1) } }
    }

    /// Checks that `metadata` can run here (for `task` to call before it creates anything); returns the gate plan.
    @discardableResult
    public func check(_ metadata: TaskMetadata) throws -> [Gate] {
        let plan = try settings.catalog.plan(metadata.gates)
        try workspace.requireTrust(settings.projectCommands(gates: plan))
        // The user's own agent goes into the task's records, to be used again; approved here, it is not asked for
        // again when this clone resumes the task (another clone that fetches it has to approve it first). A
        // convenience only: when another run holds the config's lock, the next run records it.
        if settings.agentIsTrusted, let agent = settings.agent.approvable { try? workspace.approve(.agent(agent)) }
        try workspace.requireWorkspaceFolder()
        try workspace.requireFilters()
        if metadata.runMode == .interactive, approve == nil { throw AEEError.interactiveNeedsTerminal }
        if options.here {
            let changed = try workspace.repository.changedPaths()
            if !changed.isEmpty { throw AEEError.dirtyWorkTree(paths: changed) }
        }
        return plan
    }

    /// Claims the task (APPROVED, QUEUED or BLOCKED -> RUNNING) and runs it to the end. An attempt that a run
    /// stopped by an error left unfinished (the task BLOCKED, its branch there) is gone on with after its last commit,
    /// as `resume` would, rather than left in the way.
    public func run(_ id: TaskID) throws -> RunResult {
        self.id = id
        let current = try workspace.store.record(of: id)
        gatePlan = try check(current.metadata)
        // Read before anything is written, so an attempt branch edited into nonsense is refused with the task untouched.
        let unfinished = try AttemptProgress.read(id, number: current.iteration + 1, in: store, taskTip: try taskTip())
        try claim(current)
        // This run's own story starts with its `started` event: earlier runs' failures do not count towards its stops.
        return try execute(resuming: try unfinished.map { ($0, try workspace.store.events(of: id, at: try taskTip())) })
    }

    /// Takes over a RUNNING task whose process died (on this host: its pid is gone; on another: `force`, or a
    /// worker that saw its lease run out) and runs it on from its last commit: a committed work item or gate run is
    /// never done again. The work item the dead run was in starts over.
    public func resume(_ id: TaskID, force: Bool) throws -> RunResult {
        self.id = id
        let tip = try taskTip()
        let current = try workspace.store.record(of: id, at: tip)
        guard current.state == .running else { throw AEEError.notRunning(id, current.state) }
        gatePlan = try check(current.metadata)
        let events = try workspace.store.events(of: id, at: tip)
        let owner = RunOwner(of: events)
        switch owner.liveness {
        case .alive: throw AEEError.taskRunning(id, owner: owner.description, alive: true)
        case .unknown where !force: throw AEEError.ownerUnknown(id, owner: owner.description)
        default: break
        }
        // Read before anything is written, so an attempt branch edited into nonsense is refused with the task untouched.
        let unfinished = try AttemptProgress.read(id, number: current.iteration + 1, in: store, taskTip: tip)
        // The claim: one commit naming the new owner, taken only if the branch (and the remote's) is still where the
        // dead run left it.
        let identity = try workspace.identity()
        let change = RecordChange.runStep(.resumed(claim, iteration: current.iteration, previousOwner: owner.description), record: current,
                                          iteration: current.iteration, artifacts: [], title: current.title, identity: identity)
        let lost = AEEError.taskRunning(id, owner: "another process that resumed it first", alive: true)
        do {
            _ = try store.commit(change, onto: try workspace.repository.commit(tip).tree, parents: [tip], branch: id.branch, expecting: tip, identity: identity)
        } catch let error as GitError where error.isModified || error.isLocked {
            throw lost
        } catch AEEError.remoteMoved {
            throw lost
        }
        claimed = true
        return try execute(resuming: (unfinished, events))
    }

    /// Sets the run up in its workspace and runs the loop (for a resumed run: from the attempt the dead run left, with
    /// the task's events before the takeover); a failure on the way leaves the task BLOCKED, not RUNNING.
    private func execute(resuming: (unfinished: AttemptProgress?, events: [TaskEvent])?) throws -> RunResult {
        let main = workspace.repository
        let heartbeat = try remote.map { remote in
            LeaseHeartbeat(repository: main.commonDirectory, remote: remote.name, id: id, seconds: settings.leaseSeconds, identity: try workspace.identity())
        }
        defer { heartbeat?.stop() }
        do {
            let tip = try taskTip()
            record = try store.record(of: id, at: tip)
            // A resumed attempt goes on from its last commit; whatever the dead run left uncommitted is discarded.
            let start = resuming?.unfinished?.tip ?? tip
            let location = try workspace.workspaceLocation(for: id)
            taskWorkspace = options.here ? try TaskWorkspace.here(main, at: start, location: location)
                : try TaskWorkspace.open(for: id, in: main, at: start, location: location)
            let scratch = location.callFiles
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            agent = AgentDriver(program: settings.agentProgram, timeoutSeconds: settings.agentTimeoutSeconds,
                                graceSeconds: try workspace.killGraceSeconds(), directory: taskWorkspace.root,
                                scratch: scratch, environment: GateRunner.gateEnvironment(from: workspace.environment).merging(taskWorkspace.environment) { $1 },
                                activity: { [events] in events(.agentActivity($0)) })
            deadline = settings.taskTimeoutSeconds.map { Subprocess.now() + $0 }
            passesBeforeTheRun = try main.resolveReference(PassCache.notesRef)
            events(.started(id, workspace: taskWorkspace.root))
            return try loop(resuming: resuming)
        } catch AEEError.remoteMoved(_, _, let branch, _) {
            return try lostToRemote(branch)
        } catch {
            // The task must not stay RUNNING with nobody running it: say why it stopped, then report the error.
            if try workspace.repository.resolveReference(id.branch) == nil, taskWorkspace != nil {
                // The user deleted the task's branch while it ran: the run ends there. What it committed stays on its
                // attempt branches; the workspace goes, unless it holds work found nowhere else.
                var kept: String? = taskWorkspace.root
                if case .some(.none) = try? taskWorkspace.remove(main: workspace.repository) { kept = nil }
                let attempts = try workspace.repository.references(matching: id.branch + "-attempt-*").map(\.name).sorted()
                throw AEEError.taskDeletedWhileRunning(id, attempts: attempts.map { String($0.dropFirst("refs/heads/".count)) }, keptWorkspace: kept)
            }
            // A task that is no longer this run's (a fetch beside it brought another owner's story) gets nothing more.
            if (try? ownsTask()) == false { return try lostToRemote(id.branch) }
            let blocked = try? store.transition(id, to: .blocked, kind: .finished(.blocked, cause: "error"), identity: try workspace.identity()) { record in
                record.exitReason = .blocked
                record.exitDetail = "error: \(error)"
            }
            // Things were written: the command says so by its exit status, not 128's "nothing was written".
            throw blocked == nil ? error : AEEError.runStopped(id, reason: "\(error)")
        }
    }

    /// Moves the task to RUNNING, recording who runs it where; the compare-and-swap on the branch (and, with a remote,
    /// on the remote's first) means one claimant wins.
    private func claim(_ record: TaskRecord) throws {
        let identity = try workspace.identity()
        let lost = AEEError.taskRunning(id, owner: "a worker on another clone", alive: true)
        switch record.state {
        case .approved, .blocked:
            do {
                try store.transition(id, to: .queued, identity: identity)
            } catch AEEError.remoteMoved {
                throw lost
            }
        case .queued:
            break
        case .running:
            throw try runningError()
        default:
            throw AEEError.taskNotRunnable(id, record.state)
        }
        do {
            try store.transition(id, to: .running, kind: .started(claim), identity: identity) { record in
                record.exitReason = nil
                record.exitDetail = nil
                record.usage = record.usage ?? .unknown
            }
        } catch AEEError.illegalTransition(_, let from, _) where from == .running {
            throw try runningError()
        } catch AEEError.remoteMoved {
            throw lost
        }
        claimed = true
    }

    // MARK: The remote

    /// The store's step before a branch of this run moves to `commit`: the remote takes it first, as a compare-and-swap
    /// against what this run last saw there and only as a fast-forward of it. A remote that moved the branch (a
    /// cancel, or a takeover once this run's lease ran out) stops the run with nothing written here. One that cannot
    /// be reached stops a claim, but not a run that has its claim: the commits stay here and the next push takes
    /// them along.
    private func sendFirst(_ branch: String, _ commit: OID) throws {
        try send([(branch, commit)])
    }

    /// Pushes `updates` (a nil target deletes the branch there) the same way.
    func send(_ updates: [(ref: String, target: OID?)]) throws {
        guard let remote else { return }
        do {
            if let moved = try remote.publish(updates).first { throw AEEError.remoteMoved(id, remote: remote.name, branch: moved, there: nil) }
        } catch AEEError.remoteFailed(_, _, let reason) where claimed {
            events(.warning("could not push to \(remote.name): \(reason); carrying on, the next push takes these commits along"))
        }
    }

    /// Whether the task is still this run's: RUNNING, its last `started` or `resumed` naming this process.
    func ownsTask() throws -> Bool {
        let events = try store.events(of: id, at: try taskTip())
        return try store.record(of: id, at: try taskTip()).state == .running && RunOwner(of: events).isThisProcess
    }

    /// The end of a run that lost its task on the remote (a cancel there, or a takeover once its lease ran out): this
    /// clone takes the remote's story, and the run adds nothing to it. A cancel ends the run as a cancel here does;
    /// anything else stops it with exit 5, its workspace removed unless it holds work found nowhere else.
    private func lostToRemote(_ branch: String) throws -> RunResult {
        guard let remote else { throw AEEError.concurrentUpdate(id) }
        _ = try? remote.sync()
        let now = try? store.record(of: id)
        if now?.state == .canceled, taskWorkspace != nil {
            events(.warning("task \(id.rawValue) was canceled on \(remote.name) while this run went on; the run stops there"))
            return try canceled()
        }
        _ = try? taskWorkspace?.remove(main: workspace.repository)
        var there: String?
        if let now {
            let owner = try? workspace.owner(of: id)
            there = "it is \(now.state) there" + (owner.map { $0.isThisProcess ? "" : ", taken over by \($0)" } ?? "")
        }
        throw AEEError.remoteMoved(id, remote: remote.name, branch: branch, there: there)
    }

    private func runningError() throws -> AEEError {
        let owner = try workspace.owner(of: id)
        return AEEError.taskRunning(id, owner: owner.description, alive: owner.mayBeAlive)
    }

    /// The commit the task's branch points at now.
    func taskTip() throws -> OID {
        guard let tip = try workspace.repository.resolveReference(id.branch) else { throw AEEError.taskHasNoBranch(id) }
        return tip
    }

    // MARK: The loop

    /// Iterations until one ends the run. A resumed run first restores what the dead one knew (its failures so far)
    /// from the task's `events`, then finishes the attempt it left, or decides after the iteration it had ended.
    private func loop(resuming: (unfinished: AttemptProgress?, events: [TaskEvent])?) throws -> RunResult {
        var context = try lastFailureContext()
        var unfinished = resuming?.unfinished
        if let events = resuming?.events {
            // Only this run's iterations count, the way the dead run counted them.
            let story = RunStory(events)
            // The dead run ended an iteration and may have died before acting on it: act on it (again) now, which
            // counts it.
            let ended = unfinished == nil ? story.lastIterationEnd : nil
            var failures = story.failures
            if case .failed = ended { failures.removeLast() }
            counts = RunRule.Counts(signatures: failures.map(\.signature), agentFailures: failures.filter(\.agentFailed).count)
            if let ended, let outcome = try outcome(of: ended), let result = try after(iteration: record.iteration, outcome) {
                return result
            }
        }
        while true {
            let number = record.iteration + 1
            if case .stop(let reason, let detail) = rule.start(iteration: number) { return try finish(reason, detail: detail) }
            guard var attempt = try Attempt(runner: self, number: number, context: context, resuming: unfinished) else { return try canceled() }
            unfinished = nil
            let outcome = try attempt.run()
            // Canceled from elsewhere while the attempt ran; the attempt stays on its branch.
            guard let merged = try end(attempt, outcome) else { return try canceled() }
            record = merged
            if let result = try after(iteration: number, outcome) { return result }
            if case .failed(let failure) = outcome { context = failure }
        }
    }

    /// The end of a run whose task was canceled from elsewhere: the cancel's record stands.
    private func canceled() throws -> RunResult {
        let kept = try taskWorkspace.remove(main: workspace.repository)
        return RunResult(record: try store.record(of: id), reason: .canceled,
                         keptWorkspace: taskWorkspace.isUsersWorkingTree || kept != nil ? taskWorkspace.root : nil, keptBecause: kept, mergeError: nil)
    }

    /// The run's stop rules, with this task's limits.
    private var rule: RunRule {
        RunRule(maxIterations: record.metadata.maxIterations, stallLimit: settings.stallLimit, maxAgentFailures: settings.maxAgentFailures)
    }

    /// What follows iteration `number` that ended with `outcome`, as the rule decides: the end of the run, or nil to go on.
    private func after(iteration number: Int, _ outcome: Attempt.Outcome) throws -> RunResult? {
        let decision: RunRule.Decision
        (decision, counts) = rule.after(iteration: number, outcome, overBudget: record.overBudget, counts: counts)
        guard case .stop(let reason, let detail) = decision else { return nil }
        return try finish(reason, detail: detail)
    }

    /// The outcome an iteration's end recorded (nil for a failure whose context cannot be read).
    private func outcome(of end: TaskEvent.IterationEnd) throws -> Attempt.Outcome? {
        switch end {
        case .passed: return .passed
        case .failed: return try lastFailureContext().map { .failed($0) }
        case .stopped(let reason, let detail): return .stopped(reason, detail: detail)
        }
    }

    /// On a run of a task that failed before (now BLOCKED and re-run), the failure the last iteration recorded.
    private func lastFailureContext() throws -> FailureContext? {
        guard record.iteration > 0,
              let bytes = try store.repository.blob(at: "\(id.recordDirectory)/iterations/\(record.iteration)/failure_context.json",
                                                    inTree: try store.repository.commit(try taskTip()).tree) else { return nil }
        return try? JSONInput.decode(FailureContext.self, from: bytes, file: "failure_context.json")
    }

    /// Records the attempt's end on the task branch as a merge whose second parent is the attempt: `--first-parent`
    /// is the lifecycle and no attempt ever becomes unreachable. Returns the new record, or nil when the task was
    /// canceled meanwhile.
    private func end(_ attempt: Attempt, _ outcome: Attempt.Outcome) throws -> TaskRecord? {
        let repository = store.repository
        let base = attempt.base
        let tip = try taskTip()
        guard tip == base else {
            let now = try store.record(of: id)
            if now.state == .canceled { return nil }
            throw AEEError.concurrentUpdate(id)
        }
        let end: TaskEvent.IterationEnd
        var artifacts = [(path: attempt.directory + "work_items_summary.json", bytes: try CanonicalJSON.encode(attempt.summary))]
        var tree = try repository.commit(attempt.tip).tree
        switch outcome {
        case .passed:
            end = .passed
        case .failed(let failure):
            end = .failed(detail: failure.summary, signature: failure.signature, failure: failure.reason)
            artifacts.append((attempt.directory + "failure_context.json", redactor.redact(json: try CanonicalJSON.encode(failure))))
            if record.metadata.retry == .fresh, let records = try repository.entry(at: id.recordDirectory, inTree: tree) {
                // The next attempt starts from the code the task started with; the records carry on.
                tree = try repository.writeTree(base: try repository.commit(base).tree, applying: [TreeUpdate(path: id.recordDirectory, tree: records.oid)])
            }
        case .stopped(let reason, let cause):
            // It may quote a CLI's words (a budget stop), which go into the commit message and the events.
            end = .stopped(reason, detail: cause.map(redactor.redact))
        }
        let identity = try workspace.identity()
        let change = RecordChange.runStep(.iterationEnded(iteration: attempt.number, attempt: attempt.tip.hex, end: end), record: attempt.record,
                                          iteration: attempt.number, artifacts: artifacts, title: attempt.record.title, note: end.detail, identity: identity)
        let merge = try store.commit(change, onto: tree, parents: [base, attempt.tip], branch: id.branch, expecting: base, identity: identity,
                                     log: try mergedLog(attempt))
        if case .passed = outcome {
            // A passing attempt is the task's own history now; only failed ones keep a branch (there too).
            try send([(attempt.branch, nil)])
            try repository.deleteReference(attempt.branch, expecting: attempt.tip)
        }
        try taskWorkspace.move(to: merge)
        events(.iterationEnded(iteration: attempt.number, end: end))
        return change.record
    }

    /// The event log of an attempt that was resumed: the task branch's log (which has the `resumed` event) and then
    /// what the attempt appended since it forked. Nil when the attempt started at the task branch's tip.
    private func mergedLog(_ attempt: Attempt) throws -> [UInt8]? {
        guard attempt.start != attempt.base else { return nil }
        let repository = store.repository
        func log(_ commit: OID) throws -> [UInt8] { try repository.blob(at: id.eventLogPath, inTree: try repository.commit(commit).tree) ?? [] }
        let fork = try log(attempt.start)
        let attemptLog = try log(attempt.tip)
        guard attemptLog.starts(with: fork) else { throw AEEError.cannotResume(id, reason: "the attempt's event log does not extend the task's") }
        return try log(attempt.base) + attemptLog.dropFirst(fork.count)
    }

    /// Records the end state, tidies up, and (with `--merge`) brings the result to the branch the task started from.
    private func finish(_ reason: ExitReason, detail: String?) throws -> RunResult {
        // A detail may quote an agent's or a CLI's words, which go into a commit message and the record.
        let detail = detail.map(redactor.redact)
        let (_, final) = try store.transition(id, to: reason.state, kind: .finished(reason, cause: detail), note: detail, identity: try workspace.identity()) { record in
            record.exitReason = reason
            record.exitDetail = detail
        }
        let tip = try taskTip()
        var kept: String?
        var keptBecause: String?
        if reason.state == .blocked || taskWorkspace.isUsersWorkingTree {
            try taskWorkspace.move(to: tip)
            kept = taskWorkspace.root
        } else if let reason = try taskWorkspace.remove(main: workspace.repository) {
            (kept, keptBecause) = (taskWorkspace.root, reason)
        }
        var mergeError: AEEError?
        if reason == .done, options.merge {
            do {
                try workspace.fastForward(final, to: tip, here: taskWorkspace.isUsersWorkingTree)
            } catch let error as AEEError {
                mergeError = error
            }
        }
        return RunResult(record: final, reason: reason, keptWorkspace: kept, keptBecause: keptBecause, mergeError: mergeError)
    }
}
