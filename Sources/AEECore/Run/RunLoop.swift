import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A run's iterations, from its claim to its end: each one an `Attempt` merged into the task branch, then what the
/// stop rules (`RunRule`) decide, performed: another iteration, or the end state recorded and the workspace tidied.
final class RunLoop {
    let context: RunContext
    private(set) var state: RunState

    init(_ context: RunContext, _ state: RunState) {
        self.context = context
        self.state = state
    }

    private var id: TaskID { context.id }
    private var store: TaskStore { context.store }

    /// Iterations until one ends the run. A resumed run first restores what the dead one knew (its failures so far)
    /// from the task's `events`, then finishes the attempt it left, or decides after the iteration it had ended.
    func run(resuming: (unfinished: AttemptProgress?, events: [TaskEvent])?) throws -> RunResult {
        var failure = try lastFailureContext()
        var unfinished = resuming?.unfinished
        var resumed = resuming != nil
        if let events = resuming?.events {
            // Only this run's iterations count, the way the dead run counted them.
            let story = RunStory(events)
            // The dead run ended an iteration and may have died before acting on it: act on it (again) now, which
            // counts it.
            let ended = unfinished == nil ? story.lastIterationEnd : nil
            var failures = story.failures
            if case .failed = ended { failures.removeLast() }
            state.counts = RunRule.Counts(signatures: failures.map(\.signature), agentFailures: failures.filter(\.agentFailed).count)
            if let ended, let outcome = try outcome(of: ended), let result = try after(iteration: state.record.iteration, outcome) {
                return result
            }
        }
        while true {
            let number = state.record.iteration + 1
            if case .stop(let reason, let detail) = rule.start(iteration: number) { return try finish(reason, detail: detail) }
            let attempt: Attempt
            let outcome: Attempt.Outcome
            var others: [AttemptRace.Entry] = []
            if context.settings.candidates.count > 1 {
                guard let race = try race(number, failure: failure, resuming: resumed) else { return try canceled() }
                (attempt, outcome, others) = race
            } else {
                guard var single = try Attempt(context, record: state.record, number: number, failure: failure, resuming: unfinished) else {
                    return try canceled()
                }
                outcome = try single.run(&state)
                attempt = single
            }
            unfinished = nil
            resumed = false
            // Canceled from elsewhere while the attempt ran; the attempt stays on its branch.
            guard let merged = try end(attempt, outcome, others: others) else { return try canceled() }
            state.record = merged
            if let result = try after(iteration: number, outcome) { return result }
            if case .failed(let context) = outcome { failure = context }
        }
    }

    /// The end of a run whose task was canceled from elsewhere: the cancel's record stands.
    func canceled() throws -> RunResult {
        try removeBesideWorkspaces()
        let workspace = state.taskWorkspace
        let kept = try workspace.remove(main: context.workspace.repository)
        return RunResult(record: try store.record(of: id), reason: .canceled,
                         keptWorkspace: workspace.isUsersWorkingTree || kept != nil ? workspace.root : nil, keptBecause: kept, mergeError: nil)
    }

    /// The workspaces work items ran in beside the task's own: everything in them is committed (or, holding work
    /// found nowhere else, they are kept, as the task's own would be).
    private func removeBesideWorkspaces() throws {
        for workspace in state.besideWorkspaces.values {
            _ = try workspace.remove(main: context.workspace.repository)
            try? FileManager.default.removeItem(atPath: workspace.location.callFiles)
        }
        state.besideWorkspaces = [:]
    }

    /// The run's stop rules, with this task's limits.
    private var rule: RunRule {
        RunRule(maxIterations: state.record.metadata.maxIterations, stallLimit: context.settings.stallLimit,
                maxAgentFailures: context.settings.maxAgentFailures)
    }

    /// What follows iteration `number` that ended with `outcome`, as the rule decides: the end of the run, or nil to go on.
    private func after(iteration number: Int, _ outcome: Attempt.Outcome) throws -> RunResult? {
        let decision: RunRule.Decision
        (decision, state.counts) = rule.after(iteration: number, outcome, overBudget: state.record.overBudget, counts: state.counts)
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
        let record = state.record
        guard record.iteration > 0,
              let bytes = try store.repository.blob(at: "\(id.recordDirectory)/iterations/\(record.iteration)/failure_context.json",
                                                    inTree: try store.repository.commit(try context.taskTip()).tree) else { return nil }
        return try? JSONInput.decode(FailureContext.self, from: bytes, file: "failure_context.json")
    }

    /// Iteration `number` as attempts side by side: the one that won, or (none passing) the first that stopped the
    /// run or else the first, its failure carrying the others'; the other attempts beside it. Nil when the task was
    /// canceled from elsewhere.
    private func race(_ number: Int, failure: FailureContext?, resuming: Bool) throws
        -> (Attempt, Attempt.Outcome, [AttemptRace.Entry])? {
        if state.record.metadata.runMode == .interactive { throw RunError.attemptsWith("interactive mode, which asks about each plan") }
        // A run that died left attempts on their branches: each goes on from its last commit.
        var progress: [Int: AttemptProgress] = [:]
        if resuming {
            let tip = try context.taskTip()
            for candidate in 1...context.settings.candidates.count {
                progress[candidate] = try AttemptProgress.read(id, number: number, candidate: candidate, in: store, taskTip: tip)
            }
        }
        guard let race = try AttemptRace.run(context, state: state, number: number, failure: failure, resuming: progress) else { return nil }
        for entry in race.entries {
            if entry.candidate == 1 {
                state.taskWorkspace = entry.state.taskWorkspace
                state.gateLeftovers = entry.state.gateLeftovers
            } else {
                state.besideWorkspaces[entry.candidate - 1] = entry.state.taskWorkspace
            }
            state.warnedOfUnknownCost = state.warnedOfUnknownCost || entry.state.warnedOfUnknownCost
        }
        let chosen = race.winner.flatMap { winner in race.entries.first { $0.candidate == winner } }
            ?? race.entries.first { if case .stopped(let reason, let detail) = $0.outcome { reason != .canceled || detail != Attempt.lostDetail } else { false } }
            ?? race.entries[0]
        let others = race.entries.filter { $0.candidate != chosen.candidate }
        var outcome = chosen.outcome
        if case .failed(var context) = outcome {
            // None passed: the next iteration hears of every attempt's failure.
            let failures = others.compactMap { if case .failed(let other) = $0.outcome { other } else { nil } }
            context.attempts = failures.isEmpty ? nil : failures
            context.signature = Repository.hash(of: Array(([context.signature] + failures.map(\.signature).sorted()).joined(separator: " ").utf8)).hex
            outcome = .failed(context)
        }
        return (chosen.attempt, outcome, others)
    }

    /// Records the attempt's end on the task branch as a merge whose second parent is the attempt (and, for attempts
    /// run side by side, the others' last commits after it): `--first-parent` is the lifecycle and no attempt ever
    /// becomes unreachable. Returns the new record, or nil when the task was canceled meanwhile.
    private func end(_ attempt: Attempt, _ outcome: Attempt.Outcome, others: [AttemptRace.Entry]) throws -> TaskRecord? {
        let repository = store.repository
        let base = attempt.base
        guard try context.taskTip() == base else {
            if try store.record(of: id).state == .canceled { return nil }
            throw TaskError.concurrentUpdate(id)
        }
        let end: TaskEvent.IterationEnd
        var artifacts = [(path: attempt.directory + "work_items_summary.json", bytes: try CanonicalJSON.encode(attempt.summary))]
        var tree = try repository.commit(attempt.tip).tree
        switch outcome {
        case .passed:
            end = .passed
        case .failed(let failure):
            end = .failed(detail: failure.summary, signature: failure.signature, failure: failure.reason)
            artifacts.append((attempt.directory + "failure_context.json", try CanonicalJSON.encode(failure)))
            if state.record.metadata.retry == .fresh, let records = try repository.entry(at: id.recordDirectory, inTree: tree) {
                // The next attempt starts from the code the task started with; the records carry on.
                tree = try repository.writeTree(base: try repository.commit(base).tree, applying: [TreeUpdate(path: id.recordDirectory, tree: records.oid)])
            }
        case .stopped(let reason, let cause):
            // It may quote a CLI's words (a budget stop), which go into the commit message and the events.
            end = .stopped(reason, detail: cause.map(context.redactor.redact))
        }
        var record = attempt.record
        if !others.isEmpty {
            // Every attempt's cost is the task's; the record says how each ended.
            for other in others { record.usage = (record.usage ?? .unknown) + other.attempt.summary.usage }
            let entries = ([(attempt, outcome)] + others.map { ($0.attempt, $0.outcome) }).map { attempt, outcome in
                AttemptRaceRecord.Attempt(attempt: attempt.candidate, agent: context.redactor.redact(context.settings.candidates[attempt.candidate - 1].choice.name),
                                          branch: String(attempt.branch.dropFirst("refs/heads/".count)), commit: attempt.tip.hex,
                                          outcome: AttemptRace.verdict(outcome), detail: Self.detail(of: outcome).map(context.redactor.redact),
                                          usage: attempt.summary.usage)
            }.sorted { $0.attempt < $1.attempt }
            let winner: Int? = if case .passed = outcome { attempt.candidate } else { nil }
            artifacts.append((attempt.directory + "attempts.json", try CanonicalJSON.encode(AttemptRaceRecord(iteration: attempt.number, winner: winner, attempts: entries))))
        }
        let identity = try context.workspace.identity()
        let change = RecordChange.runStep(.iterationEnded(iteration: attempt.number, attempt: attempt.tip.hex, end: end), record: record,
                                          iteration: attempt.number, artifacts: artifacts, title: attempt.record.title, note: end.detail,
                                          redactor: context.redactor, identity: identity)
        let merge = try store.commit(change, onto: tree, parents: [base, attempt.tip] + others.map(\.attempt.tip), branch: id.branch, expecting: base,
                                     identity: identity, log: try mergedLog(attempt))
        if case .passed = outcome {
            // A passing attempt is the task's own history now; only failed ones keep a branch (there too).
            try store.deleteBranch(attempt.branch, expecting: attempt.tip)
        }
        try state.taskWorkspace.move(to: merge, orMakeAgainFor: id, from: context.workspace.repository)
        context.events(.iterationEnded(iteration: attempt.number, end: end))
        return change.record
    }

    /// What an attempt's end says beyond its verdict: a failure's summary, a stop's cause.
    private static func detail(of outcome: Attempt.Outcome) -> String? {
        switch outcome {
        case .passed: nil
        case .failed(let failure): failure.summary
        case .stopped(.canceled, Attempt.lostDetail): nil
        case .stopped(_, let detail): detail
        }
    }

    /// The event log of an attempt that was resumed: the task branch's log (which has the `resumed` event) and then
    /// what the attempt appended since it forked. Nil when the attempt started at the task branch's tip.
    private func mergedLog(_ attempt: Attempt) throws -> [UInt8]? {
        guard attempt.start != attempt.base else { return nil }
        let repository = store.repository
        func log(_ commit: OID) throws -> [UInt8] { try repository.blob(at: id.eventLogPath, inTree: try repository.commit(commit).tree) ?? [] }
        let fork = try log(attempt.start)
        let attemptLog = try log(attempt.tip)
        guard attemptLog.starts(with: fork) else { throw RunError.cannotResume(id, reason: "the attempt's event log does not extend the task's") }
        return try log(attempt.base) + attemptLog.dropFirst(fork.count)
    }

    /// Records the end state, tidies up, and (with `--merge`) brings the result to the branch the task started from.
    private func finish(_ reason: ExitReason, detail: String?) throws -> RunResult {
        // A detail may quote an agent's or a CLI's words, which go into a commit message and the record (redacted as
        // written) and into what the run returns (redacted here).
        var detail = detail.map(context.redactor.redact)
        // Attempts side by side each judged the budget on what was known when they did: the end says what all spent.
        if reason == .budget, let over = try store.record(of: id).overBudget { detail = over }
        let (_, final) = try store.transition(id, to: reason.state, kind: .finished(reason, cause: detail), note: detail,
                                              identity: try context.workspace.identity(), redactor: context.redactor) { record in
            record.exitReason = reason
            record.exitDetail = detail
        }
        let tip = try context.taskTip()
        try removeBesideWorkspaces()
        let workspace = state.taskWorkspace
        var kept: String?
        var keptBecause: String?
        if reason.state == .blocked || workspace.isUsersWorkingTree {
            try workspace.move(to: tip)
            kept = workspace.root
        } else if let reason = try workspace.remove(main: context.workspace.repository) {
            (kept, keptBecause) = (workspace.root, reason)
        }
        var mergeError: (any AEEError)?
        var merged: String?
        if reason == .done, context.options.merge {
            do {
                try context.workspace.fastForward(final, to: tip, here: workspace.isUsersWorkingTree)
                merged = tip.hex
            } catch let error as any AEEError {
                mergeError = error
            }
        }
        var result = RunResult(record: final, reason: reason, keptWorkspace: kept, keptBecause: keptBecause, mergeError: mergeError)
        result.merged = merged
        return result
    }
}
