import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One iteration of a run on its own branch `aee/<id>-attempt-<n>`, which starts at the task branch's tip:
/// the plan commit, one commit per work item (the agent's changes and its report), and the verify commit.
/// A run that resumes a dead one picks the attempt up after its last commit (`AttemptProgress`).
struct Attempt {
    enum Outcome {
        case passed
        case failed(FailureContext)
        case stopped(ExitReason, detail: String?)
    }

    let context: RunContext
    let number: Int
    /// Which of an iteration's attempts side by side this is (1 when it runs alone).
    let candidate: Int
    /// The task branch's tip when the attempt began (or was resumed); the merge that ends it names this as first parent.
    let base: OID
    /// The task branch commit the attempt branch grew from: `base`, unless a run died and another resumed it.
    let start: OID
    let branch: String
    /// The previous iteration's failure, handed to the agent.
    let previousFailure: FailureContext?
    /// What a run that died had done of this attempt.
    let resumed: AttemptProgress?
    // Set by this file and by the work items' steps (Attempt+WorkItems.swift).
    var tip: OID
    var tipTree: OID
    var record: TaskRecord
    var summary: WorkItemsSummary
    /// What the last staging of this run found ignored in the workspace (spares the gates a walk of the tree).
    var ignoredAfterStaging: [String]?

    /// Most work items one plan may have; the rest are dropped with a note.
    static let maxWorkItems = 50
    /// How an attempt run beside others that was stopped because another won says so.
    static let lostDetail = "lost"

    /// A new attempt, or (with `resuming`) the rest of one a run that died left on its branch; nil when the task was
    /// canceled from elsewhere since the last iteration, so nothing is written on top of the cancel.
    init?(_ context: RunContext, record taskRecord: TaskRecord, number: Int, candidate: Int = 1, failure: FailureContext?,
          resuming progress: AttemptProgress? = nil) throws {
        self.context = context
        self.number = number
        self.candidate = candidate
        previousFailure = failure
        resumed = progress
        base = try context.taskTip()
        // The merge that ends the attempt names `base` as the task's state: it must still be this run's.
        switch try context.store.record(of: context.id, at: base).state {
        case .running: break
        case .canceled: return nil
        default: throw TaskError.concurrentUpdate(context.id)
        }
        branch = context.id.attemptBranch(number, candidate: candidate)
        let repository = context.store.repository
        if let progress {
            start = progress.start
            tip = progress.tip
            record = progress.record
        } else {
            if try repository.resolveReference(branch) != nil { throw RunError.attemptExists(context.id, branch: branch) }
            try repository.updateReference(branch, to: base, expecting: nil, reflogMessage: "aee: attempt \(number) of \(context.id.rawValue)")
            start = base
            tip = base
            record = taskRecord
        }
        record.iteration = number
        tipTree = try repository.commit(tip).tree
        summary = WorkItemsSummary(iteration: number, workItems: [], usage: progress?.usage ?? .unknown)
        if let plan = progress?.plan {
            summary.workItems = plan.items.map { .init(id: $0.id, title: $0.title, status: "not_run", commit: nil, filesChanged: 0) }
            for done in progress!.done + progress!.finishedBeside {
                guard let index = plan.items.firstIndex(where: { $0.id == done.item }) else { continue }
                summary.workItems[index].status = done.call.agent.status.rawValue
                summary.workItems[index].commit = done.commit.hex
                summary.workItems[index].filesChanged = done.call.filesChanged?.count ?? 0
            }
        }
    }

    /// Where this iteration's artifacts go, relative to the task's directory.
    var directory: String { "iterations/\(number)/" }

    mutating func run(_ state: inout RunState) throws -> Outcome {
        if let gates = resumed?.verified { return try outcome(passed: gates.passed, failedGates: gates.failedGates) }
        let items: [WorkItem]
        if let plan = resumed?.plan {
            // The agent calls the last commit recorded were judged by a run that died; judge them again the same way.
            items = plan.items
            let last = resumed!.lastCommitted
            if last.isEmpty {
                if let stop = try verdict(on: plan.agent, hitTaskDeadline: false, stage: .plan, workItem: nil) { return stop }
                if let stop = approval(summary: plan.summary, items) { return stop }
            }
            for done in last {
                if let stop = try verdict(onCommitted: done, items) { return stop }
            }
        } else {
            context.events(.stage(iteration: number, .planning))
            let planCall = try context.agent(for: .plan).run(stage: .plan, task: record, iteration: number, workItem: nil, context: previousFailure, taskDeadline: context.deadline)
            let plan: OpenPlan
            (items, plan) = makePlan(from: planCall)
            add(plan.usage)
            try commit(.planned(iteration: number, workItems: items.count, source: plan.source.rawValue), title: record.title, in: state.taskWorkspace,
                       artifacts: [("open_plan.json", try CanonicalJSON.encode(plan)),
                                   ("work_items.json", try CanonicalJSON.encode(WorkItemList(iteration: number, workItems: items)))]
                                  + (planCall.stream.map { [("plan.agent.log", $0)] } ?? []))
            summary.workItems = items.map { .init(id: $0.id, title: $0.title, status: "not_run", commit: nil, filesChanged: 0) }
            if let stop = try verdict(on: planCall.report, hitTaskDeadline: planCall.hitTaskDeadline, stage: .plan, workItem: nil) { return stop }
            if let stop = approval(summary: plan.summary, items) { return stop }
        }

        context.events(.stage(iteration: number, .executing))
        if let stop = try execute(items, state: &state) { return stop }

        context.events(.stage(iteration: number, .verifying))
        let cleared = try state.taskWorkspace.clearIgnored(keeping: state.gateLeftovers, present: ignoredAfterStaging)
        defer { state.gateLeftovers = Set((try? state.taskWorkspace.repository.ignoredPaths()) ?? []) }
        let judge = context.workspace
        let review = try reviewer(items)
        let report = try judge.judge(tipTree, in: state.taskWorkspace.root, plan: context.gatePlan, catalog: context.settings.catalog,
                                     cached: try context.passesBeforeTheRun.map { try judge.cachedPasses(context.gatePlan, tree: tipTree, asOf: $0) } ?? [],
                                     checkedOut: state.taskWorkspace.repository, review: review,
                                     events: { [events = context.events] in events(.gate($0)) })
        if report.results.contains(where: { $0.usage != nil }) {
            // What the reviewing agent left in the workspace is nobody's work: the next work item starts clean.
            try state.taskWorkspace.move(to: tip, orMakeAgainFor: context.id, from: context.workspace.repository)
            for result in report.results { if let usage = result.usage { add(usage) } }
        }
        if let signal = ProcessGroups.shared.interruption { return .stopped(.interrupted, detail: "signal \(signal) while the gates ran") }
        let clearedList = cleared.isEmpty ? nil : String(decoding: try CanonicalJSON.compact(cleared), as: UTF8.self)
        try commit(.verified(iteration: number, passed: report.passed, cleared: clearedList), title: record.title, in: state.taskWorkspace,
                   artifacts: [("gate_results.json", try CanonicalJSON.encode(report))],
                   trailers: report.results.map { ("AEE-Gate", "\($0.gate) \($0.status.rawValue)") })
        let failed = report.results.filter { !$0.passed }.map {
            FailureContext.FailedGate(gate: $0.gate, status: $0.status.rawValue, exitCode: $0.exitCode, outputTail: $0.outputTail)
        }
        return try outcome(passed: report.passed, failedGates: failed)
    }

    /// What runs a review gate: the agent for the review stage, given the task, the plan and the attempt's change
    /// against the task's base (without `.aee/`); nil when the gates hold no review.
    private func reviewer(_ items: [WorkItem]) throws -> (@Sendable (Gate) -> GateResult)? {
        guard context.gatePlan.contains(where: { $0.definition.isReview }) else { return nil }
        let repository = context.workspace.repository
        let base = try record.baseCommit.flatMap(OID.init(hex:)).map { try repository.commit($0).tree }
        let diff = String(decoding: try repository.patch(from: base, to: tipTree, paths: [], excluding: ".aee", format: .patch), as: UTF8.self)
        let (driver, task, iteration, deadline, tree) = (context.agent(for: .review), record, number, context.deadline, tipTree.hex)
        return { gate in
            let at = Timestamp.now
            do {
                let call = try driver.run(stage: .review, task: task, iteration: iteration, workItem: nil, context: nil, taskDeadline: deadline,
                                          review: (items, diff))
                return ReviewVerdict.result(of: call, gate: gate, tree: tree, at: at)
            } catch {
                return GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: .failed, outputTail: "\(error)\n", at: at)
            }
        }
    }

    /// How the iteration ends once the gates have judged it.
    private func outcome(passed: Bool, failedGates: [FailureContext.FailedGate]) throws -> Outcome {
        if passed { return .passed }
        if let deadline = context.deadline, Subprocess.now() >= deadline {
            return .stopped(.timeout, detail: "the task's time ran out while the gates failed")
        }
        return .failed(try failure(gates: failedGates, agent: nil))
    }

    // MARK: Steps

    /// The work items to execute and the `open_plan.json` saying where they came from.
    private func makePlan(from call: AgentDriver.Call) -> ([WorkItem], OpenPlan) {
        var problems: [String] = []
        var items: [WorkItem] = []
        var summaryText: String?
        var usage = call.usage ?? .unknown
        if call.report.status == .done {
            if let bytes = call.result {
                do {
                    let plan = try JSONInput.decode(PlanResult.self, from: bytes, file: "the agent's plan")
                    summaryText = plan.summary
                    if call.usage == nil { usage = Usage(reportedCost: plan.costUSD, turns: plan.turns) }
                    var proposed = (plan.workItems ?? []).map {
                        WorkItem.Proposal(id: $0.id, title: $0.title, description: $0.description ?? "", dependsOn: $0.dependsOn)
                    }
                    if proposed.count > Self.maxWorkItems {
                        problems.append("the plan has \(proposed.count) work items; the first \(Self.maxWorkItems) are kept")
                        proposed = Array(proposed.prefix(Self.maxWorkItems))
                    }
                    let sanitized = WorkItem.sanitized(proposed) { [redactor = context.redactor] in redactor.firstSecret(in: $0) != nil }
                    items = sanitized.items
                    problems += sanitized.notes
                    if items.isEmpty { problems.append("the plan has no work items") }
                } catch {
                    problems.append("\(error)")
                }
            } else {
                problems.append(call.report.resultProblem ?? "the agent wrote no plan to AEE_OUTPUT_FILE")
            }
        }
        let source: OpenPlan.Source = items.isEmpty ? .fallback : .agent
        if items.isEmpty { items = [WorkItem(id: "task", title: TaskTitle.oneLine(record.title, limit: 200), description: record.title)] }
        return (items, OpenPlan(iteration: number, summary: summaryText, source: source, problems: problems, agent: call.report, usage: usage))
    }

    /// What an agent call changed: the agent's own commits and the files it left, staged as `git add -A` would; what
    /// it did to its workspace's git directory, undone. An agent that removed or broke its workspace has failed: the
    /// workspace is made again at the attempt's tip and nothing is staged.
    func collectWork(of call: inout AgentDriver.Call, in workspace: inout TaskWorkspace, startedAt start: OID) throws -> AgentWork {
        do {
            let git = try workspace.collectAgentWork(startedAt: start, main: context.workspace.repository, redactor: context.redactor)
            let staged = try workspace.stage()
            let commits = try git.commits.map { try context.workspace.repository.history(from: $0, excluding: start).map(\.oid.hex) } ?? []
            return AgentWork(staged: staged, git: git, commitList: commits)
        } catch let damage as WorkspaceError {
            guard case .damaged = damage else { throw damage }
            call.report.status = .failed
            call.report.outputTail += "\n[git aee: \(damage); it was made again from the last commit]\n"
            // Through a repository handle of its own: a workspace beside the task's is used on other threads later.
            let main = try Repository.open(at: context.workspace.repository.gitDirectory, searching: false)
            workspace = try TaskWorkspace.open(for: context.id, in: main, at: start, location: workspace.location)
            return AgentWork(staged: nil, git: .init(commits: nil, undone: []), commitList: [])
        }
    }

    /// Runs the repository's commit hooks on the work item's commit-to-be (what is staged, and its message). When
    /// one refuses, nothing of the change is committed: the staged change and the agent's own commits are dropped
    /// and the workspace goes back to the attempt's tip, as a refused `git commit` leaves nothing in history.
    func judgeCommit(of item: WorkItem, _ work: inout AgentWork, in workspace: TaskWorkspace, startedAt start: OID) throws -> [CommitHookResult] {
        // After an interrupt the hooks would be stopped at once and their "refusal" would throw the work away.
        guard ProcessGroups.shared.interruption == nil, let hooks = context.settings.commitHooks, let staged = work.staged,
              !staged.changed.isEmpty || work.git.commits != nil, !hooks.present.isEmpty else { return [] }
        try workspace.repository.writeIndex()
        let messageFile = workspace.location.callFiles + "COMMIT_EDITMSG"
        let message = CommitMessage(task: record.id, event: TaskEvent.Kind.workItemEnded(iteration: number, workItem: item.id, status: .done).name,
                                    state: .running, title: item.title,
                                    trailers: [("AEE-Iteration", String(number)), ("AEE-Work-Item", item.id)])
        do {
            // Made anew: the agent may have left a link (or a hard link) at the name, to a file of the user's.
            try replaceFile(messageFile, with: Array(message.text.utf8))
        } catch {
            throw RepositoryError.fileSystem(path: messageFile, reason: "cannot be written for the commit hooks")
        }
        let results = try hooks.run(in: workspace.root, indexFile: workspace.indexFile, messageFile: messageFile,
                                    environment: context.agent.environment).map(CommitHookResult.init)
        if results.last?.passed == false {
            try workspace.move(to: start)
            work.staged = nil
            work.git.commits = nil
            work.commitList = []
        }
        return results
    }

    struct AgentWork {
        /// Nil when nothing could be staged (the workspace was damaged).
        var staged: StagedChanges?
        var git: TaskWorkspace.AgentGitWork
        /// The agent's own commits, oldest first.
        var commitList: [String]
    }

    func makeReport(_ item: WorkItem, _ call: AgentDriver.Call, _ work: AgentWork, hooks: [CommitHookResult]) -> WorkItemReport {
        var agent = call.report
        var result: ExecutionResult?
        if let bytes = call.result {
            do {
                result = try JSONInput.decode(ExecutionResult.self, from: bytes, file: "the agent's result")
            } catch {
                agent.resultProblem = "\(error)"
            }
        }
        let staged = work.staged ?? StagedChanges()
        return WorkItemReport(iteration: number, workItem: item, agent: agent, filesChanged: staged.changed, refusedChanges: staged.refused,
                              embeddedRepositories: staged.embeddedRepositories, notStaged: staged.notStaged,
                              agentCommits: work.commitList, undoneGitChanges: work.git.undone, commitHooks: hooks,
                              commandsRun: result?.commandsRun ?? [], testsRun: result?.testsRun ?? [], evidence: result?.evidence ?? [],
                              handoffNotes: result?.handoffNotes, usage: call.usage ?? Usage(reportedCost: result?.costUSD, turns: result?.turns))
    }

    /// Whether the iteration must stop after an agent call, and how: interrupted, out of time, canceled from
    /// elsewhere, a human needed, the agent failing, or over budget. Nil: carry on.
    func verdict(on report: AgentReport, hitTaskDeadline: Bool, stage: AgentStage, workItem: WorkItem?) throws -> Outcome? {
        if context.lost?() == true { return .stopped(.canceled, detail: Self.lostDetail) }
        if let signal = ProcessGroups.shared.interruption { return .stopped(.interrupted, detail: "signal \(signal) during the \(stage.rawValue) stage") }
        if hitTaskDeadline { return .stopped(.timeout, detail: "the task's time ran out during the \(stage.rawValue) stage") }
        if try context.taskTip() != base { return .stopped(.canceled, detail: nil) }
        switch report.status {
        case .done:
            break
        case .needsHuman:
            return .stopped(.blocked, detail: "agent_needs_human" + (workItem.map { " (work item \($0.id))" } ?? ""))
        case .failed where report.failure?.kind == .budget:
            return .stopped(.budget, detail: report.failure?.message)
        case .failed, .timedOut, .killed:
            let agent = FailureContext.FailedAgent(stage: stage.rawValue, workItem: workItem?.id, status: report.status.rawValue,
                                                  exitCode: report.exitCode, outputTail: report.outputTail, failure: report.failure)
            return .failed(try failure(gates: [], agent: agent))
        }
        var whole = record
        if let others = context.spending?.others(than: candidate) { whole.usage = (record.usage ?? .unknown) + others }
        if let over = whole.overBudget { return .stopped(.budget, detail: over) }
        return nil
    }

    /// Interactive mode shows the plan and waits for a yes; autonomous mode never waits, so a config that
    /// demands approval blocks the task instead.
    private func approval(summary: String?, _ items: [WorkItem]) -> Outcome? {
        switch record.metadata.runMode {
        case .autonomous:
            return context.settings.requirePlanApproval ? .stopped(.blocked, detail: "approval_required_in_autonomous_mode") : nil
        case .interactive:
            var lines = ["Plan for task \(record.id), iteration \(number)" + (summary.map { ": " + TaskTitle.oneLine($0, limit: 200) } ?? "")]
            lines += items.enumerated().map { "  \($0.offset + 1). [\($0.element.id)] \($0.element.title)" }
            guard let approve = context.approve else { return .stopped(.blocked, detail: "approval_required_without_terminal") }
            return approve(lines.joined(separator: "\n")) ? nil : .stopped(.blocked, detail: "plan_rejected")
        }
    }

    func failure(gates: [FailureContext.FailedGate], agent: FailureContext.FailedAgent?, conflicts: [FailureContext.Conflict] = []) throws -> FailureContext {
        let changed = try context.store.repository.changedPaths(from: try context.store.repository.commit(start).tree, to: tipTree)
            .filter { !$0.hasPrefix(".aee/") }
        let reason: FailureContext.Reason = agent != nil ? .agentFailed : conflicts.isEmpty ? .gatesFailed : .conflict
        return FailureContext(iteration: number, reason: reason, failedGates: gates, agent: agent, filesChanged: changed,
                              signature: FailureSignature.of(gates: gates, agent: agent, conflicts: conflicts), conflicts: conflicts.isEmpty ? nil : conflicts)
    }

    mutating func add(_ usage: Usage) {
        summary.usage = summary.usage + usage
        record.usage = (record.usage ?? .unknown) + usage
        context.spending?.add(usage, by: candidate)
    }

    /// Commits the record, one event and the artifacts onto the attempt branch, with the work the agent `staged`
    /// (else the previous tree), then brings `.aee/` in the workspace up to date, putting back the `refused` changes.
    private mutating func commit(_ kind: TaskEvent.Kind, title: String, in workspace: TaskWorkspace, artifacts: [(String, [UInt8])],
                                 trailers: [(key: String, value: String)] = []) throws {
        (tip, tipTree, record) = try write(kind, title: title, on: Line(branch: branch, parent: tip, tree: tipTree, record: record), in: workspace,
                                           artifacts: artifacts, trailers: trailers)
    }

    /// Where a commit of the attempt goes: its branch (the attempt's, or a work item's beside it), the commit it grows
    /// on with that commit's tree, and the record it carries.
    struct Line {
        let branch: String
        let parent: OID
        let tree: OID
        var record: TaskRecord
    }

    /// Commits `line`'s record, one event and the artifacts onto its branch, with the work the agent `staged` in
    /// `workspace` (else the previous tree), then brings `.aee/` in the workspace up to date, putting back the
    /// `refused` changes. Returns the commit, its tree and the record it holds.
    func write(_ kind: TaskEvent.Kind, title: String, on line: Line, in workspace: TaskWorkspace, artifacts: [(String, [UInt8])], staged: Bool = false,
               refused: [String] = [], agentCommits: OID? = nil, trailers: [(key: String, value: String)] = []) throws -> (OID, OID, TaskRecord) {
        let identity = try context.workspace.identity()
        let change = RecordChange.runStep(kind, record: line.record, iteration: number, artifacts: artifacts.map { (directory + $0.0, $0.1) },
                                          title: title, trailers: trailers, redactor: context.redactor, identity: identity)
        // The agent's own commits are the second parent: kept with their messages, off the first-parent line that
        // carries git aee's records.
        let commit = try moving(line.branch) {
            try context.store.commit(change, onto: line.tree, parents: [line.parent] + (agentCommits.map { [$0] } ?? []), branch: line.branch,
                                     expecting: line.parent, identity: identity, makeTree: staged ? workspace.tree(adding:) : nil)
        }
        let tree = try context.store.repository.commit(commit).tree
        try workspace.follow(commit, tree: tree, records: change.paths, refused: refused)
        return (commit, tree, change.record)
    }

    /// Runs `write`, a move of `branch` that only this run makes: when something else moved or made it meanwhile
    /// (with a remote, a fetch that brought another owner's story of it), says so.
    func moving<T>(_ branch: String, _ write: () throws -> T) throws -> T {
        do {
            return try write()
        } catch let error as GitError where error.isModified || error.isExists {
            if let remote = context.remote, try !context.ownsTask() { throw RemoteError.moved(context.id, remote: remote.name, branch: branch, there: nil) }
            throw RunError.branchMovedUnderRun(branch: branch)
        }
    }
}

extension Double {
    /// With a fixed number of decimals (amounts of money), without Foundation's formatters.
    public func formatted(decimals: Int) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let units = Int((self * Double(scale)).rounded())
        guard decimals > 0 else { return String(units) }
        return "\(units / scale).\(String(units % scale).leftPadded(to: decimals))"
    }
}
