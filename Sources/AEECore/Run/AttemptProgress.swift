import Git

/// How far an attempt got before its run died, read back from its branch: the commits are the truth, so `resume`
/// continues after the last one and never repeats a committed work item or gate run.
struct AttemptProgress {
    /// A committed work item: its id, its commit and the agent's report.
    typealias Done = (item: String, commit: OID, call: StoredAgentCall)

    /// The task branch commit the attempt's first commit grew from.
    let start: OID
    let tip: OID
    let record: TaskRecord
    /// The plan, when the `planned` commit was made.
    let plan: (items: [WorkItem], summary: String?, agent: AgentReport)?
    /// The work items done, in the order they were committed (an item run again after a conflict: its last run).
    let done: [Done]
    /// The items the last commit recorded (one, or those a merge brought in), whose verdict a resumed run reads again.
    let lastCommitted: [Done]
    /// Items that ran side by side and conflicted, not yet run again: how, as the merge recorded it.
    let conflicts: [FailureContext.Conflict]
    /// Items of the wave under way that finished on their own branches (`<attempt>-item-<id>`) before the run died.
    let finishedBeside: [Done]
    /// Items of the wave under way that started and had not finished.
    let startedBeside: [String]
    /// The gates' verdict, when the `verified` commit was made.
    let verified: StoredGateReport?
    /// What the agent calls committed on the attempt's branch reported spending, review gates' included.
    let usage: Usage

    /// Reads attempt `number` of `id` from its branch (nil when there is none); `taskTip` is where its first commit
    /// must have grown from. A branch in a shape git aee does not write is refused, not guessed at.
    static func read(_ id: TaskID, number: Int, candidate: Int = 1, in store: TaskStore, taskTip: OID) throws -> AttemptProgress? {
        let repository = store.repository
        let branch = id.attemptBranch(number, candidate: candidate)
        guard let tip = try repository.resolveReference(branch) else { return nil }
        func refuse(_ reason: String) -> any AEEError { RunError.cannotResume(id, reason: "\(branch.dropFirst("refs/heads/".count)): \(reason)") }

        // The attempt's own commits carry its iteration; the first commit below them is where it started.
        var commits: [(oid: OID, step: AttemptStep, parents: [OID])] = []
        var cursor = tip
        while true {
            let commit = try repository.commit(cursor)
            guard let step = AttemptStep(commit.message, of: id, iteration: number), let parent = commit.parents.first else { break }
            commits.insert((cursor, step, commit.parents), at: 0)
            cursor = parent
            guard commits.count <= 3 * Attempt.maxWorkItems + 2 else { throw refuse("more commits than an attempt makes") }
        }
        let start = cursor
        guard try repository.isAncestor(start, of: taskTip) else { throw refuse("it does not start from the task branch") }

        let tree = try repository.commit(tip).tree
        let record = try store.record(of: id, at: tip)
        func artifact<T: Decodable>(_ name: String, as type: T.Type, in tree: OID = tree) throws -> T {
            let path = "\(id.recordDirectory)/iterations/\(number)/\(name)"
            guard let bytes = try repository.blob(at: path, inTree: tree) else { throw refuse("\(path) is missing") }
            return try JSONInput.decode(T.self, from: bytes, file: path)
        }
        var plan: (items: [WorkItem], summary: String?, agent: AgentReport)?
        var done: [Done] = []
        var last: [Done] = []
        var conflicts: [FailureContext.Conflict] = []
        var verified: StoredGateReport?
        var usage = Usage.unknown
        /// Whether `item` may be committed now: in the plan, and not done unless it conflicted.
        func due(_ item: String) -> Bool {
            plan?.items.contains { $0.id == item } == true
                && (!done.contains { $0.item == item } || conflicts.contains { $0.workItem == item })
        }
        func add(_ item: String, _ commit: OID, in tree: OID = tree) throws -> Done {
            let call = try artifact("work_item_\(item).json", as: StoredAgentCall.self, in: tree)
            done.removeAll { $0.item == item }
            conflicts.removeAll { $0.workItem == item }
            done.append((item, commit, call))
            usage = usage + call.usage
            return (item, commit, call)
        }
        for (index, commit) in commits.enumerated() {
            switch (commit.step, plan) {
            case (.planned, nil) where index == 0:
                let stored = try artifact("open_plan.json", as: StoredAgentCall.self)
                plan = (try artifact("work_items.json", as: StoredWorkItems.self).workItems, stored.summary, stored.agent)
                usage = usage + stored.usage
            case (.verified, let plan?) where index == commits.count - 1 && done.count == plan.items.count && conflicts.isEmpty:
                verified = try artifact("gate_results.json", as: StoredGateReport.self)
                for result in verified?.results ?? [] { if let spent = result.usage { usage = usage + spent } }
            case (.workItem(let item), _?) where due(item):
                last = [try add(item, commit.oid)]
            case (.merged(let items, let conflicted), _?) where !items.isEmpty && commit.parents.count == items.count + conflicted.count:
                // The first parent, on this line, was read as a work item; the others are read from their commits.
                last = done.last.map { [$0] } ?? []
                for parent in commit.parents.dropFirst() {
                    guard case .workItem(let item)? = AttemptStep(try repository.commit(parent).message, of: id, iteration: number),
                          items.contains(item) || conflicted.contains(item), due(item) else { throw refuse("a merge of work items git aee did not run") }
                    if items.contains(item) {
                        last.append(try add(item, parent))
                    } else {
                        usage = usage + (try artifact("work_item_\(item).json", as: StoredAgentCall.self, in: try repository.commit(parent).tree)).usage
                    }
                }
                if !conflicted.isEmpty { conflicts = try artifact("conflicts.json", as: [FailureContext.Conflict].self) }
            default:
                throw refuse("a '\(commit.step.name)' commit where git aee does not make one")
            }
        }
        // The wave under way: items that finished beside the attempt, on branches of their own grown from its tip.
        var finishedBeside: [Done] = []
        var startedBeside: [String] = []
        for item in plan?.items ?? [] where due(item.id) {
            guard let itemTip = try repository.resolveReference(TaskID.itemBranch(of: branch, item.id)) else { continue }
            if itemTip == tip { startedBeside.append(item.id); continue }
            let commit = try repository.commit(itemTip)
            if commit.parents.first == tip, AttemptStep(commit.message, of: id, iteration: number) == .workItem(item.id) {
                let call = try artifact("work_item_\(item.id).json", as: StoredAgentCall.self, in: commit.tree)
                finishedBeside.append((item.id, itemTip, call))
            }
        }
        return AttemptProgress(start: start, tip: tip, record: record, plan: plan, done: done, lastCommitted: last, conflicts: conflicts,
                               finishedBeside: finishedBeside, startedBeside: startedBeside, verified: verified, usage: usage)
    }
}

/// What one of an attempt's own commits did, from its trailers: the steps an attempt commits, in the order it
/// commits them.
enum AttemptStep: Equatable {
    case planned
    case workItem(String)
    /// Work items that ran side by side, merged (and those that conflicted, whose commits are parents all the same).
    case merged([String], conflicts: [String])
    case verified

    /// The step `message` records for attempt `iteration` of `id`; nil for any other commit.
    init?(_ message: String, of id: TaskID, iteration: Int) {
        let trailers = (try? Trailer.parse(message)) ?? []
        func value(_ key: String) -> String? { trailers.first { $0.key == key }?.value }
        guard value("AEE-Task") == id.rawValue, value("AEE-Iteration") == String(iteration), let event = value("AEE-Event") else { return nil }
        switch TaskEvent.Kind.named(event) {
        case .planned: self = .planned
        case .verified: self = .verified
        case .workItemEnded:
            guard let item = value("AEE-Work-Item") else { return nil }
            self = .workItem(item)
        case .workItemsMerged:
            self = .merged(trailers.filter { $0.key == "AEE-Work-Item" }.map(\.value),
                           conflicts: trailers.filter { $0.key == "AEE-Conflict" }.map(\.value))
        case .iterationEnded, .other: return nil
        }
    }

    /// The event name it was committed under, for messages.
    var name: String {
        switch self {
        case .planned: "planned"
        case .workItem(let item): "work item \(item)"
        case .merged(let items, _): "merge of \(items.joined(separator: ", "))"
        case .verified: "verified"
        }
    }
}

/// What resuming needs from `open_plan.json` or `work_item_<id>.json`: how the agent call ended and what it cost.
struct StoredAgentCall: Decodable {
    var agent: AgentReport
    var usage: Usage
    var summary: String?
    var filesChanged: [String]?
    /// What the commit hooks said of a work item's commit (a refusal fails the item as a failed gate does).
    var commitHooks: [CommitHookResult]?

    enum CodingKeys: String, CodingKey {
        case agent, usage, summary
        case filesChanged = "files_changed"
        case commitHooks = "commit_hooks"
    }
}

/// The items of `work_items.json`.
struct StoredWorkItems: Decodable {
    var workItems: [WorkItem]

    enum CodingKeys: String, CodingKey {
        case workItems = "work_items"
    }
}

/// What resuming needs from `gate_results.json`: the verdict, and what the failed gates said.
struct StoredGateReport: Decodable {
    struct Result: Decodable {
        var gate: String
        var status: GateResult.Status
        var exitCode: Int32?
        var outputTail: String
        /// A pass remembered for this tree, not run again (absent in older records).
        var cached: Bool?
        /// What a review gate's agent spent.
        var usage: Usage?

        enum CodingKeys: String, CodingKey {
            case gate, status, cached, usage
            case exitCode = "exit_code"
            case outputTail = "output_tail"
        }
    }

    var passed: Bool
    var results: [Result]

    /// The gates that did not pass, as the next iteration's context names them.
    var failedGates: [FailureContext.FailedGate] {
        results.filter { $0.status != .passed }.map {
            FailureContext.FailedGate(gate: $0.gate, status: $0.status.rawValue, exitCode: $0.exitCode, outputTail: $0.outputTail)
        }
    }
}
