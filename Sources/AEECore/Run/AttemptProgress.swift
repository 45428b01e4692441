import Git

/// How far an attempt got before its run died, read back from its branch: the commits are the truth, so `resume`
/// continues after the last one and never repeats a committed work item or gate run.
struct AttemptProgress {
    /// The task branch commit the attempt's first commit grew from.
    let start: OID
    let tip: OID
    let record: TaskRecord
    /// The plan, when the `planned` commit was made.
    let plan: (items: [WorkItem], summary: String?, agent: AgentReport)?
    /// The committed work items, in order: their commit and the agent's report.
    let done: [(commit: OID, call: StoredAgentCall)]
    /// The gates' verdict, when the `verified` commit was made.
    let verified: StoredGateReport?
    /// What the agent calls of the attempt reported spending.
    let usage: Usage

    /// Reads attempt `number` of `id` from its branch (nil when there is none); `taskTip` is where its first commit
    /// must have grown from. A branch in a shape git aee does not write is refused, not guessed at.
    static func read(_ id: TaskID, number: Int, in store: TaskStore, taskTip: OID) throws -> AttemptProgress? {
        let repository = store.repository
        let branch = id.attemptBranch(number)
        guard let tip = try repository.resolveReference(branch) else { return nil }
        func refuse(_ reason: String) -> any AEEError { RunError.cannotResume(id, reason: "\(branch.dropFirst("refs/heads/".count)): \(reason)") }

        // The attempt's own commits carry its iteration; the first commit below them is where it started.
        var commits: [(oid: OID, step: AttemptStep)] = []
        var cursor = tip
        while true {
            let commit = try repository.commit(cursor)
            guard let step = AttemptStep(commit.message, of: id, iteration: number), let parent = commit.parents.first else { break }
            commits.insert((cursor, step), at: 0)
            cursor = parent
            guard commits.count <= Attempt.maxWorkItems + 2 else { throw refuse("more commits than an attempt makes") }
        }
        let start = cursor
        guard try repository.isAncestor(start, of: taskTip) else { throw refuse("it does not start from the task branch") }

        let tree = try repository.commit(tip).tree
        let record = try store.record(of: id, at: tip)
        func artifact<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
            let path = "\(id.recordDirectory)/iterations/\(number)/\(name)"
            guard let bytes = try repository.blob(at: path, inTree: tree) else { throw refuse("\(path) is missing") }
            return try JSONInput.decode(T.self, from: bytes, file: path)
        }
        var plan: (items: [WorkItem], summary: String?, agent: AgentReport)?
        var done: [(commit: OID, call: StoredAgentCall)] = []
        var verified: StoredGateReport?
        var usage = Usage.unknown
        for (index, commit) in commits.enumerated() {
            switch (commit.step, plan) {
            case (.planned, nil) where index == 0:
                let stored = try artifact("open_plan.json", as: StoredAgentCall.self)
                plan = (try artifact("work_items.json", as: StoredWorkItems.self).workItems, stored.summary, stored.agent)
                usage = usage + stored.usage
            case (.verified, let plan?) where index == commits.count - 1 && done.count == plan.items.count:
                verified = try artifact("gate_results.json", as: StoredGateReport.self)
            case (.workItem(let item), let plan?) where done.count < plan.items.count && item == plan.items[done.count].id:
                let call = try artifact("work_item_\(item).json", as: StoredAgentCall.self)
                done.append((commit.oid, call))
                usage = usage + call.usage
            default:
                throw refuse("a '\(commit.step.name)' commit where git aee does not make one")
            }
        }
        return AttemptProgress(start: start, tip: tip, record: record, plan: plan, done: done, verified: verified, usage: usage)
    }
}

/// What one of an attempt's own commits did, from its trailers: the steps an attempt commits, in the order it
/// commits them.
enum AttemptStep: Equatable {
    case planned
    case workItem(String)
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
        case .iterationEnded, .other: return nil
        }
    }

    /// The event name it was committed under, for messages.
    var name: String {
        switch self {
        case .planned: "planned"
        case .workItem(let item): "work item \(item)"
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

    enum CodingKeys: String, CodingKey {
        case agent, usage, summary
        case filesChanged = "files_changed"
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

        enum CodingKeys: String, CodingKey {
            case gate, status, cached
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
