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
    var ownerClaim: TaskEvent.Claim {
        TaskEvent.Claim(process: RunOwner.thisProcess, agent: redactor.redact(settings.agent.name), model: settings.model,
                        leaseSeconds: remote == nil ? nil : settings.leaseSeconds)
    }
    /// Whether the remote took this run's claim; until it has, a remote that cannot be reached stops the run.
    private var claimed = false
    /// The last metadata `check` passed, for which task, and its gate plan: `task` checks before it creates the task
    /// (no workspace of its own can be there yet, so that check holds for it), and `run` need not check the same
    /// metadata again in the same process.
    private var checked: (metadata: TaskMetadata, id: TaskID?, plan: [Gate])?

    /// Resolves the agent and limits now, so a run that cannot start says so before anything is written.
    public init(workspace: Workspace, options: RunOptions, events: @escaping @Sendable (RunEvent) -> Void = { _ in }, approve: ((String) -> Bool)?) throws {
        self.workspace = workspace
        self.options = options
        self.events = events
        self.approve = approve
        settings = try workspace.runSettings(options)
        redactor = Redactor(environment: workspace.environment)
        remote = try options.remote.map { try TaskRemote(name: $0, repository: workspace.repository) }
    }

    /// The task store the run of `id` writes through: with a remote, each commit goes there before a branch here moves.
    private func store(for id: TaskID) -> TaskStore {
        var store = workspace.store
        if remote != nil { store.beforeMoving = { [unowned self] in try self.send(id, [($0, $1)]) } }
        return store
    }

    /// Checks that `metadata` can run here (for `task` to call before it creates anything; `id` when the task
    /// exists); returns the gate plan.
    @discardableResult
    public func check(_ metadata: TaskMetadata, for id: TaskID? = nil) throws -> [Gate] {
        if let checked, checked.metadata == metadata, checked.id == nil || checked.id == id { return checked.plan }
        let plan = try doing("check the task's gates") {
            let plan = try settings.catalog.plan(metadata.gates)
            try settings.refuseSelfReview(plan)
            try refuseMissingGatePrograms(plan)
            try workspace.requireTrust(settings.projectCommands(gates: plan))
            try workspace.requireWorkspaceFolder(for: id, workspaces: options.here ? 0 : settings.candidates.count)
            try workspace.requireFilters()
            if metadata.runMode == .interactive, approve == nil { throw RunError.interactiveNeedsTerminal }
            // Said now, not after the whole run.
            if options.merge {
                let current = try workspace.repository.head().branchName
                guard let base = try id.map({ try workspace.store.record(of: $0).baseBranch }) ?? current else { throw RunError.mergeWithoutBranch(id) }
                if !options.here, try workspace.isSparseCheckout(), current == base {
                    throw RunError.mergeIntoSparseCheckout
                }
            }
            if options.here {
                if try workspace.isSparseCheckout() { throw RepositoryError.sparseHere }
                let changed = try workspace.repository.changedPaths()
                if !changed.isEmpty { throw RepositoryError.dirtyWorkTree(paths: changed) }
            }
            return plan
        }
        checked = (metadata, id, plan)
        return plan
    }

    /// Refuses a gate that could never pass, before an agent is paid to try: the program its command starts with is
    /// a name not on the PATH it runs with (its `env`'s, else the user's). (A path, `./check.sh`, may be one the task
    /// itself writes; what follows a first command, or an assignment, may be found on a PATH set there: both are left
    /// to the run.)
    private func refuseMissingGatePrograms(_ plan: [Gate]) throws {
        let root = workspace.repository.workingDirectory ?? ""
        for gate in plan {
            // Relative entries as the gate finds them: from the top of the tree it runs in.
            let path = (gate.definition.env["PATH"] ?? workspace.environment["PATH"] ?? "").split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("/") ? String($0) : root + $0 }.joined(separator: ":")
            guard let program = gate.definition.run.flatMap(ShellCommand.leadingProgram), !program.contains("/"),
                  ShellCommand.locate(program, path: path) == nil else { continue }
            throw ConfigError.gateProgramMissing(gate: gate.name, program: program)
        }
    }

    /// Claims the task (APPROVED, QUEUED or BLOCKED -> RUNNING) and runs it to the end. An attempt that a run
    /// stopped by an error left unfinished (the task BLOCKED, its branch there) is gone on with after its last commit,
    /// as `resume` would, rather than left in the way.
    public func run(_ id: TaskID) throws -> RunResult {
        return try doing("run task \(id)") {
            let store = store(for: id)
            let current = try store.record(of: id)
            let plan = try check(current.metadata, for: id)
            // Read before anything is written, so an attempt branch edited into nonsense is refused with the task untouched.
            let unfinished = try AttemptProgress.read(id, number: current.iteration + 1, in: store, taskTip: try store.tip(of: id))
            try claim(current, in: store)
            // This run's own story starts with its `started` event: earlier runs' failures do not count towards its stops.
            return try execute(id, store: store, gates: plan, resuming: try unfinished.map { ($0, try store.events(of: id, at: try store.tip(of: id))) })
        }
    }

    /// Takes over a RUNNING task whose process died (on this host: its pid is gone; on another: `force`, or a
    /// worker that saw its lease run out) and runs it on from its last commit: a committed work item or gate run is
    /// never done again. The work item the dead run was in starts over.
    public func resume(_ id: TaskID, force: Bool) throws -> RunResult {
        return try doing("resume task \(id)") {
            let store = store(for: id)
            let tip = try store.tip(of: id)
            let current = try store.record(of: id, at: tip)
            guard current.state == .running else { throw RunError.notRunning(id, current.state) }
            let plan = try check(current.metadata, for: id)
            let events = try store.events(of: id, at: tip)
            let owner = RunOwner(of: events)
            switch owner.liveness {
            case .alive: throw RunError.alreadyRunning(id, owner: owner.description, alive: true)
            case .unknown where !force: throw RunError.ownerUnknown(id, owner: owner.description)
            default: break
            }
            // Read before anything is written, so an attempt branch edited into nonsense is refused with the task untouched.
            let unfinished = try AttemptProgress.read(id, number: current.iteration + 1, in: store, taskTip: tip)
            // The claim: one commit naming the new owner, taken only if the branch (and the remote's) is still where the
            // dead run left it.
            let identity = try workspace.identity()
            let change = RecordChange.runStep(.resumed(ownerClaim, iteration: current.iteration, previousOwner: owner.description), record: current,
                                              iteration: current.iteration, artifacts: [], title: current.title, redactor: redactor, identity: identity)
            let lost = RunError.alreadyRunning(id, owner: "another process that resumed it first", alive: true)
            do {
                _ = try store.commit(change, onto: try workspace.repository.commit(tip).tree, parents: [tip], branch: id.branch, expecting: tip, identity: identity)
            } catch let error as GitError where error.isModified || error.isLocked {
                throw lost
            } catch RemoteError.moved {
                throw lost
            }
            claimed = true
            // The dead run's agent may still be writing into the workspace this run is about to reset.
            if let stopped = try workspace.stopLeftovers(of: events) { self.events(.warning(stopped)) }
            return try execute(id, store: store, gates: plan, resuming: (unfinished, events))
        }
    }

    /// Sets the run up in its workspace and runs the loop (for a resumed run: from the attempt the dead run left, with
    /// the task's events before the takeover); a failure on the way leaves the task BLOCKED, not RUNNING.
    private func execute(_ id: TaskID, store: TaskStore, gates: [Gate], resuming: (unfinished: AttemptProgress?, events: [TaskEvent])?) throws -> RunResult {
        // The user's own agent goes into the task's records, to be used again; approved here, it is not asked for
        // again when this clone resumes the task (another clone that fetches it has to approve it first). Written
        // once the run has its claim, so that a refused run leaves the config as it was. A convenience only: when
        // another run holds the config's lock, the next run records it.
        if settings.agentIsTrusted, let agent = settings.agent.approvable { try? workspace.approve(.agent(agent)) }
        let main = workspace.repository
        let heartbeat = try remote.map { remote in
            LeaseHeartbeat(repository: main.commonDirectory, remote: remote.name, id: id, seconds: settings.leaseSeconds, identity: try workspace.identity())
        }
        defer { heartbeat?.stop() }
        var loop: RunLoop?
        do {
            let tip = try store.tip(of: id)
            // A resumed attempt goes on from its last commit; whatever the dead run left uncommitted is discarded.
            let start = resuming?.unfinished?.tip ?? tip
            let location = try workspace.workspaceLocation(for: id)
            let taskWorkspace = options.here ? try TaskWorkspace.here(main, at: start, location: location)
                : try TaskWorkspace.open(for: id, in: main, at: start, location: location)
            let scratch = location.callFiles
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let agent = AgentDriver(program: settings.agentProgram, timeoutSeconds: settings.agentTimeoutSeconds,
                                    graceSeconds: try workspace.killGraceSeconds(), directory: taskWorkspace.root, scratch: scratch,
                                    environment: GateRunner.gateEnvironment(from: workspace.environment).merging(taskWorkspace.environment) { $1 },
                                    activity: { [events] in events(.agentActivity($0)) })
            let context = RunContext(id: id, workspace: workspace, store: store, settings: settings, options: options, redactor: redactor,
                                     remote: remote, agent: agent, gatePlan: gates, deadline: settings.taskTimeoutSeconds.map { Subprocess.now() + $0 },
                                     passesBeforeTheRun: try main.resolveReference(PassCache.notesRef), events: events, approve: approve)
            let running = RunLoop(context, RunState(record: try store.record(of: id, at: tip), taskWorkspace: taskWorkspace))
            loop = running
            events(.started(id, workspace: taskWorkspace.root))
            return try running.run(resuming: resuming)
        } catch RemoteError.moved(_, _, let branch, _) {
            return try lostToRemote(id, branch: branch, loop: loop)
        } catch let failure {
            let error = (failure as? GitError).map { RepositoryError.git($0, doing: "run task \(id)") } ?? failure
            // The task must not stay RUNNING with nobody running it: say why it stopped, then report the error.
            if try workspace.repository.resolveReference(id.branch) == nil, let taskWorkspace = loop?.state.taskWorkspace {
                // The user deleted the task's branch while it ran: the run ends there. What it committed stays on its
                // attempt branches; the workspace goes, unless it holds work found nowhere else.
                var kept: String? = taskWorkspace.root
                if case .some(.none) = try? taskWorkspace.remove(main: workspace.repository) { kept = nil }
                let attempts = try workspace.repository.references(matching: id.branch + "-attempt-*").map(\.name).sorted()
                throw RunError.deletedWhileRunning(id, attempts: attempts.map { String($0.dropFirst("refs/heads/".count)) }, keptWorkspace: kept)
            }
            // A task that is no longer this run's (a fetch beside it brought another owner's story) gets nothing more.
            if let context = loop?.context, (try? context.ownsTask()) == false { return try lostToRemote(id, branch: id.branch, loop: loop) }
            let blocked = try? store.transition(id, to: .blocked, kind: .finished(.blocked, cause: "error"), identity: try workspace.identity(),
                                                redactor: redactor) { record in
                record.exitReason = .blocked
                record.exitDetail = "error: \(error)"
            }
            // Things were written: the command says so by its exit status, not 128's "nothing was written", also when
            // the stop itself could not be (a full disk: the task stays RUNNING, for a resume).
            if blocked != nil { throw RunError.runStopped(id, reason: "\(error)") }
            throw (try? store.record(of: id).state) == .running ? RunError.runStoppedUnrecorded(id, reason: "\(error)") : error
        }
    }

    /// Moves the task to RUNNING, recording who runs it where; the compare-and-swap on the branch (and, with a remote,
    /// on the remote's first) means one claimant wins.
    private func claim(_ record: TaskRecord, in store: TaskStore) throws {
        let id = record.id
        let identity = try workspace.identity()
        let lost = RunError.alreadyRunning(id, owner: "a worker on another clone", alive: true)
        let start = TaskStore.Move(to: .running, kind: .started(ownerClaim)) { record in
            record.exitReason = nil
            record.exitDetail = nil
            record.usage = record.usage ?? .unknown
        }
        let moves: [TaskStore.Move]
        switch record.state {
        case .approved, .blocked: moves = [TaskStore.Move(to: .queued), start]
        case .queued: moves = [start]
        case .running: throw try runningError(id)
        default: throw RunError.notRunnable(id, record.state)
        }
        // Queued and started in one move of the branch: another claimant sees the task either before or after both.
        do {
            try store.transition(id, through: moves, identity: identity)
        } catch TaskError.illegalTransition(_, let from, _) where from == .running {
            throw try runningError(id)
        } catch RemoteError.moved {
            throw lost
        }
        claimed = true
    }

    private func runningError(_ id: TaskID) throws -> any AEEError {
        let owner = try workspace.owner(of: id)
        return RunError.alreadyRunning(id, owner: owner.description, alive: owner.mayBeAlive)
    }

    // MARK: The remote

    /// The store's step before a branch of the run of `id` moves (a nil target: is deleted): the remote takes it
    /// first, as a compare-and-swap against what this run last saw there and only as a fast-forward of it. A remote
    /// that moved the branch (a cancel, or a takeover once this run's lease ran out) stops the run with nothing written
    /// here. One that cannot be reached stops a claim, but not a run that has its claim: the commits stay here and
    /// the next push takes them along.
    private func send(_ id: TaskID, _ updates: [(ref: String, target: OID?)]) throws {
        guard let remote else { return }
        // Said once, not at every commit, until a push goes through again.
        let alreadyOutOfReach = remote.isOutOfReach
        do {
            if let moved = try remote.publish(updates).first { throw RemoteError.moved(id, remote: remote.name, branch: moved, there: nil) }
        } catch RemoteError.failed(_, _, let reason) where claimed {
            guard !alreadyOutOfReach else { return }
            events(.warning("could not push to \(remote.name): \(reason); carrying on, the next push that goes through takes these commits along (after the run: 'git aee sync \(remote.name)')"))
        }
    }

    /// The end of a run that lost its task on the remote (a cancel there, or a takeover once its lease ran out): this
    /// clone takes the remote's story, and the run adds nothing to it. A cancel ends the run as a cancel here does;
    /// anything else stops it with exit 5, its workspace removed unless it holds work found nowhere else.
    private func lostToRemote(_ id: TaskID, branch: String, loop: RunLoop?) throws -> RunResult {
        guard let remote else { throw TaskError.concurrentUpdate(id) }
        _ = try? remote.sync()
        // The remote is where the task is shared: whatever it holds now is the task's story, also when someone moved
        // it back (a force-push); what this run wrote is kept aside, not resumed later as if still claimed.
        let kept = (try? remote.yield(id.branch)) ?? nil
        let now = try? workspace.store.record(of: id)
        if now?.state == .canceled, let loop {
            events(.warning("task \(id) was canceled on \(remote.name) while this run went on; the run stops there"))
            return try loop.canceled()
        }
        _ = try? loop?.state.taskWorkspace.remove(main: workspace.repository)
        var there: String?
        if let now {
            let owner = try? workspace.owner(of: id)
            // A story with no claim (the task moved back to QUEUED) names no owner.
            there = "it is \(now.state) there" + (owner.map { $0.isThisProcess || $0.pid == nil ? "" : ", taken over by \($0)" } ?? "")
                + (kept.map { "; this run's commits are kept at \($0)" } ?? "")
        }
        throw RemoteError.moved(id, remote: remote.name, branch: branch, there: there)
    }
}
