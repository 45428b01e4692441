import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The execute stage: the plan's work items, one at a time on the attempt branch, or (with `--jobs` and a plan that
/// says what depends on what) in waves side by side, each item in a workspace of its own and committed on a branch of
/// its own from the attempt's tip, the wave then merged into the attempt in plan order.
extension Attempt {
    /// Runs the work items not yet done; an outcome when the iteration stops before the gates.
    mutating func execute(_ items: [WorkItem], state: inout RunState) throws -> Outcome? {
        // Items a dead run finished side by side are taken up in its waves, whatever this run's jobs: run alone, they
        // would be run again.
        let finishedBeside = Set(resumed?.finishedBeside.map(\.item) ?? [])
        let schedule = WorkItemSchedule(items: items, jobs: finishedBeside.isEmpty ? context.settings.jobs : max(context.settings.jobs, 2))
        var done = Set(resumed?.done.map(\.item) ?? [])
        var conflicts = resumed?.conflicts ?? []
        if let resumed { try removeMergedItemBranches(resumed.tip) }
        while true {
            if !conflicts.isEmpty {
                // Items that conflicted run once more, on the merged work, told of the conflict; a conflict again
                // fails the iteration.
                let again = conflicts.compactMap { conflict in items.firstIndex { $0.id == conflict.workItem } }
                let told = FailureContext(iteration: number, reason: .conflict, failedGates: [], agent: nil, filesChanged: [],
                                          signature: FailureSignature.of(gates: [], agent: nil, conflicts: conflicts), conflicts: conflicts)
                if again.count == 1 {
                    if let stop = try runAlone(again[0], items, told: told, state: &state) { return stop }
                } else {
                    let (stop, left) = try runBeside(again, items, told: told, state: &state)
                    if let stop { return stop }
                    if !left.isEmpty { return .failed(try failure(gates: [], agent: nil, conflicts: left)) }
                }
                done.formUnion(conflicts.map(\.workItem))
                conflicts = []
                continue
            }
            let wave = schedule.wave(done: done)
            if wave.isEmpty { return nil }
            if wave.count == 1, !finishedBeside.contains(items[wave[0]].id) {
                if let stop = try runAlone(wave[0], items, told: previousFailure, state: &state) { return stop }
            } else {
                let (stop, left) = try runBeside(wave, items, told: previousFailure, state: &state)
                if let stop { return stop }
                conflicts = left
            }
            done.formUnion(wave.map { items[$0].id }.filter { id in !conflicts.contains { $0.workItem == id } })
        }
    }

    /// Work item `index` in the task's workspace, committed on the attempt branch.
    private mutating func runAlone(_ index: Int, _ items: [WorkItem], told: FailureContext?, state: inout RunState) throws -> Outcome? {
        let item = items[index]
        context.events(.workItem(iteration: number, index: index + 1, count: items.count, item))
        let call = try context.agent(for: .execute).run(stage: .execute, task: record, iteration: number, workItem: item, context: told, taskDeadline: context.deadline)
        let line = Line(branch: branch, parent: tip, tree: tipTree, record: record)
        let end = try finish(index, item, call, slot: 0, on: line, state: &state)
        (tip, tipTree, record) = (end.commit, end.tree, end.record)
        ignoredAfterStaging = end.ignored
        return end.stop
    }

    /// What one work item's end left: its commit (with tree and record), what its staging found ignored, and how the
    /// iteration must stop, if it must.
    struct ItemEnd {
        let commit: OID
        let tree: OID
        let record: TaskRecord
        let ignored: [String]?
        let stop: Outcome?
    }

    /// Takes what a work item's agent call did in the workspace of `slot` (which was at `line.parent`): the agent's
    /// commits and changes staged, the commit hooks' verdict, the report; commits it all on `line`.
    private mutating func finish(_ index: Int, _ item: WorkItem, _ call: AgentDriver.Call, slot: Int, on line: Line,
                                 state: inout RunState) throws -> ItemEnd {
        var call = call
        var workspace = slot == 0 ? state.taskWorkspace : state.besideWorkspaces[slot]!
        defer { if slot == 0 { state.taskWorkspace = workspace } else { state.besideWorkspaces[slot] = workspace } }
        for denial in call.report.permissionDenials ?? [] { context.events(.warning("the agent was refused \(denial)")) }
        var work = try collectWork(of: &call, in: &workspace, startedAt: line.parent)
        let hooks = try judgeCommit(of: item, &work, in: workspace, startedAt: line.parent)
        let report = makeReport(item, call, work, hooks: hooks)
        for path in report.embeddedRepositories {
            // As `git add` warns "adding embedded git repository": the commit names the repository's commit, not its files.
            context.events(.warning("\(path) is a repository of its own: recorded as a gitlink, its files are not in the commit"))
        }
        add(report.usage)
        if record.metadata.maxCostUSD != nil, report.usage.costUSD == nil, !state.warnedOfUnknownCost {
            state.warnedOfUnknownCost = true
            context.events(.warning("the agent reported no cost, so --max-cost cannot stop this run" + (call.usage != nil ? " (name a model whose price git aee knows: docs/agents.md)" : "")))
        }
        let refused = hooks.contains { !$0.passed }
        let status = refused ? .failed : call.report.status
        var line = line
        line.record.usage = (line.record.usage ?? .unknown) + report.usage
        let (commit, tree, itemRecord) = try write(
            .workItemEnded(iteration: number, workItem: item.id, status: status), title: item.title, on: line, in: workspace,
            artifacts: [("work_item_\(item.id).json", try CanonicalJSON.encode(report))] + (call.stream.map { [("work_item_\(item.id).agent.log", $0)] } ?? []),
            staged: work.staged != nil, refused: work.staged?.refused ?? [], agentCommits: work.git.commits, trailers: [("AEE-Work-Item", item.id)])
        summary.workItems[index] = .init(id: item.id, title: item.title, status: status.rawValue, commit: commit.hex, filesChanged: report.filesChanged.count)
        context.events(.workItemEnded(iteration: number, index: index + 1, count: summary.workItems.count, item, status: status, beside: line.branch != branch))
        let stop = try verdict(on: call.report, hitTaskDeadline: call.hitTaskDeadline, stage: .execute, workItem: item) ?? refusal(by: hooks)
        return ItemEnd(commit: commit, tree: tree, record: itemRecord, ignored: work.staged?.ignored, stop: stop)
    }

    /// A work item's commit refused by a commit hook, as `git commit` would refuse it: the change is not committed,
    /// and the hook's word is the failure the next iteration starts from, like a failed gate's.
    func refusal(by hooks: [CommitHookResult]) throws -> Outcome? {
        guard let refusal = hooks.last(where: { !$0.passed }) else { return nil }
        let gate = FailureContext.FailedGate(gate: "\(refusal.hook) hook", status: refusal.status.rawValue, exitCode: refusal.exitCode,
                                             outputTail: refusal.outputTail)
        return .failed(try failure(gates: [gate], agent: nil))
    }

    /// How a work item a dead run committed ended, judged again as its run judged it: its agent's report, then its
    /// commit hooks.
    func verdict(onCommitted done: AttemptProgress.Done, _ items: [WorkItem]) throws -> Outcome? {
        try verdict(on: done.call.agent, hitTaskDeadline: false, stage: .execute, workItem: items.first { $0.id == done.item })
            ?? refusal(by: done.call.commitHooks ?? [])
    }

    /// A wave: the items at `indices` side by side, up to the run's jobs at a time, each from the attempt's tip in a
    /// workspace of its own and committed on its own branch; then merged into the attempt in plan order. A failed
    /// item keeps the others from starting (those running finish, or are stopped with `--fail-fast=kill`). Returns
    /// how the iteration must stop, if it must, and the items whose change could not be merged.
    private mutating func runBeside(_ indices: [Int], _ items: [WorkItem], told: FailureContext?,
                                    state: inout RunState) throws -> (Outcome?, [FailureContext.Conflict]) {
        let base = Line(branch: branch, parent: tip, tree: tipTree, record: record)
        var ended: [Int: OID] = [:]
        // How items stopped the iteration, in the order they ended: the first is the iteration's failure (those a
        // failure stopped with `--fail-fast=kill` end after it).
        var stops: [Outcome] = []
        // Items a run that died finished beside this very tip are not run again; their calls are judged again.
        if let resumed, resumed.tip == tip {
            for finished in resumed.finishedBeside {
                guard let index = items.firstIndex(where: { $0.id == finished.item }), indices.contains(index) else { continue }
                ended[index] = finished.commit
                add(finished.call.usage)
                if let stop = try verdict(onCommitted: finished, items) { stops.append(stop) }
            }
        }
        var waiting = indices.filter { ended[$0] == nil }
        var free = Array(0..<max(min(context.settings.jobs, waiting.count), 1))
        let calls = SideBySideCalls<(AgentDriver.Call, TaskWorkspace)>()
        var slots: [Int: Int] = [:]
        defer {
            // A throw leaves calls running: stop them, and wait, so nothing of this wave outlives it.
            calls.requestStop()
            while calls.next() != nil {}
        }
        while true {
            while stops.isEmpty, !waiting.isEmpty, !free.isEmpty, ProcessGroups.shared.interruption == nil {
                let index = waiting.removeFirst()
                let slot = free.removeFirst()
                slots[index] = slot
                try markStarted(items[index])
                context.events(.workItem(iteration: number, index: index + 1, count: items.count, items[index]))
                // A workspace beside the task's own is made, or moved to the wave's start, on the item's thread: the
                // items do not wait for each other's checkouts.
                let prepare = try workspace(slot, state: state)
                let (agent, task, iteration, item, deadline) = (context.agent(for: .execute), base.record, number, items[index], context.deadline)
                calls.start(index) { [calls] in
                    let workspace = try prepare()
                    var driver = agent.working(in: workspace)
                    driver.stopRequested = { [calls, lost = driver.stopRequested] in calls.isStopping || lost?() == true }
                    return (try driver.run(stage: .execute, task: task, iteration: iteration, workItem: item, context: told, taskDeadline: deadline), workspace)
                }
            }
            guard let (index, result) = calls.next() else { break }
            let slot = slots[index]!
            let (call, workspace) = try result.get()
            if slot > 0 { state.besideWorkspaces[slot] = workspace }
            let itemLine = Line(branch: TaskID.itemBranch(of: branch, items[index].id), parent: base.parent, tree: base.tree, record: base.record)
            let end = try finish(index, items[index], call, slot: slot, on: itemLine, state: &state)
            ended[index] = end.commit
            if let stop = end.stop {
                stops.append(stop)
                if context.options.killOnFailure { calls.requestStop() }
            }
            free.append(slot)
        }
        let conflicts = try merge(ended, items, base: base, state: &state)
        if let first = stops.first { return (first, []) }
        return (nil, conflicts)
    }

    /// Points the item's branch at the attempt's tip as it starts: it names the item as started (for status, and for
    /// a run that resumes this one), and its commit lands there.
    private func markStarted(_ item: WorkItem) throws {
        let repository = context.store.repository
        let itemBranch = TaskID.itemBranch(of: branch, item.id)
        let current = try repository.resolveReference(itemBranch)
        if let current, current != tip, try !repository.isAncestor(current, of: tip) {
            throw RunError.cannotResume(context.id, reason: "\(itemBranch.dropFirst("refs/heads/".count)) holds work the attempt does not")
        }
        if current != tip {
            try repository.updateReference(itemBranch, to: tip, expecting: current, reflogMessage: "aee: work item \(item.id) of \(context.id.rawValue)")
        }
    }

    /// Merges the items' commits (`ended`, by plan index) into the attempt: their changes merged in plan order onto
    /// the attempt's tree, their records and events added, in one merge commit whose parents are their commits. An
    /// item whose change conflicts with those merged before it is left out of the tree (its commit stays a parent)
    /// and returned, with the items it conflicted with and the files.
    private mutating func merge(_ ended: [Int: OID], _ items: [WorkItem], base: Line, state: inout RunState) throws -> [FailureContext.Conflict] {
        let order = ended.keys.sorted()
        guard !order.isEmpty else { return [] }
        let repository = context.store.repository
        let id = context.id
        let baseLog = try repository.blob(at: id.eventLogPath, inTree: base.tree) ?? []
        guard let records = try repository.entry(at: id.recordDirectory, inTree: base.tree) else {
            throw RunError.cannotResume(id, reason: "the attempt's tree holds no record")
        }
        var tree = base.tree
        var merged: [(item: String, changed: Set<String>)] = []
        var conflicts: [FailureContext.Conflict] = []
        var artifacts: [TreeUpdate] = []
        var log = baseLog
        for index in order {
            let item = items[index].id
            let itemTree = try repository.commit(ended[index]!).tree
            // The records are git aee's to merge: the item's event follows the others', its files are added.
            let itemLog = try repository.blob(at: id.eventLogPath, inTree: itemTree) ?? []
            guard itemLog.starts(with: baseLog) else { throw RunError.cannotResume(id, reason: "work item \(item)'s event log does not extend the attempt's") }
            log += itemLog.dropFirst(baseLog.count)
            for name in ["work_item_\(item).json", "work_item_\(item).agent.log"] {
                let path = "\(id.recordDirectory)/\(directory)\(name)"
                if let entry = try repository.entry(at: path, inTree: itemTree) { artifacts.append(TreeUpdate(path: path, blob: entry.oid)) }
            }
            let change = try repository.writeTree(base: itemTree, applying: [TreeUpdate(path: id.recordDirectory, tree: records.oid)])
            switch try context.workspace.repository.mergeTrees(ancestor: base.tree, ours: tree, theirs: change) {
            case .merged(let result):
                tree = result
                merged.append((item, Set(try repository.changedPaths(from: base.tree, to: change))))
            case .conflicts(let files):
                conflicts.append(.init(workItem: item, with: merged.filter { !$0.changed.isDisjoint(with: files) }.map(\.item), files: files))
            }
        }
        var extra: [(String, [UInt8])] = []
        if !conflicts.isEmpty { extra.append(("conflicts.json", try CanonicalJSON.encode(conflicts))) }
        tree = try repository.writeTree(base: tree, applying: artifacts)
        let identity = try context.workspace.identity()
        let change = RecordChange.runStep(.workItemsMerged(iteration: number, workItems: merged.map(\.item), conflicts: conflicts.map(\.workItem)),
                                          record: record, iteration: number, artifacts: extra.map { (directory + $0.0, $0.1) },
                                          title: record.title, trailers: merged.map { ("AEE-Work-Item", $0.item) } + conflicts.map { ("AEE-Conflict", $0.workItem) },
                                          redactor: context.redactor, identity: identity)
        let commit = try moving(branch) {
            try context.store.commit(change, onto: tree, parents: order.map { ended[$0]! }, branch: branch, expecting: base.parent, identity: identity, log: log)
        }
        (tip, tipTree, record) = (commit, try repository.commit(commit).tree, change.record)
        for index in order { try context.store.deleteBranch(TaskID.itemBranch(of: branch, items[index].id), expecting: ended[index]!) }
        try state.taskWorkspace.move(to: tip, orMakeAgainFor: context.id, from: context.workspace.repository)
        ignoredAfterStaging = nil
        return conflicts
    }

    /// What makes the workspace of `slot` ready at the attempt's tip, to be run on the item's thread: the task's own
    /// (0) is there already; one beside it (1...) is moved there, or made, through a repository handle of its own.
    private func workspace(_ slot: Int, state: RunState) throws -> () throws -> TaskWorkspace {
        let tip = tip
        if slot == 0 {
            nonisolated(unsafe) let workspace = state.taskWorkspace
            return { workspace }
        }
        if let existing = state.besideWorkspaces[slot] {
            nonisolated(unsafe) let workspace = existing
            return {
                try workspace.move(to: tip)
                return workspace
            }
        }
        let (id, location, gitDirectory) = (context.id, try context.workspace.workspaceLocation(for: context.id, beside: slot + 1),
                                            context.workspace.repository.gitDirectory)
        return {
            try FileManager.default.createDirectory(atPath: location.callFiles, withIntermediateDirectories: true)
            return try TaskWorkspace.open(for: id, in: try Repository.open(at: gitDirectory, searching: false), at: tip, location: location)
        }
    }

    /// Branches of items a dead run merged and did not get to delete.
    private func removeMergedItemBranches(_ attemptTip: OID) throws {
        for (name, target) in try context.store.repository.references(matching: branch + "-item-*") where target != attemptTip {
            if try context.store.repository.isAncestor(target, of: attemptTip) { try context.store.deleteBranch(name, expecting: target) }
        }
    }
}
