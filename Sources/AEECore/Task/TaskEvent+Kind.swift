extension TaskEvent {
    /// What an event says, typed: each kind is written as one event name with the details git aee gives it, and read
    /// back from them. The names and detail keys are the on-disk format; they never change.
    public enum Kind: Equatable, Sendable {
        case created
        case approved
        case queued
        /// A BLOCKED task queued again.
        case requeued
        /// A run took the task (QUEUED -> RUNNING).
        case started(Claim)
        /// A run took over a RUNNING task whose owner died, in the iteration that owner was in.
        case resumed(Claim, iteration: Int, previousOwner: String)
        case planned(iteration: Int, workItems: Int, source: String)
        case workItemEnded(iteration: Int, workItem: String, status: AgentReport.Status)
        /// Work items that ran side by side merged into the attempt, in plan order; `conflicts`: those whose change
        /// could not be merged (their commits are parents of the merge, their changes are not in its tree).
        case workItemsMerged(iteration: Int, workItems: [String], conflicts: [String])
        /// `cleared`: the ignored files removed before the gates ran, as a compact JSON array.
        case verified(iteration: Int, passed: Bool, cleared: String?)
        /// The merge of an attempt into the task branch: `attempt` is the attempt's last commit.
        case iterationEnded(iteration: Int, attempt: String, end: IterationEnd)
        /// A run's end (SUCCEEDED, FAILED or BLOCKED), with why.
        case finished(ExitReason, cause: String?)
        case canceled(reason: String?)
        /// An event this version does not know, or one whose details it cannot read.
        case unknown(String)
    }

    /// Who runs a task: the owner's process (its host, pid and `<boot id>/<start ticks>`), the agent and model it
    /// runs, and its lease when it runs through a remote. Values as written (old runs lack some).
    public struct Claim: Equatable, Sendable {
        public var host: String?
        public var pid: String?
        public var process: String?
        public var agent: String?
        public var model: String?
        public var leaseSeconds: String?
    }

    /// How an iteration ended.
    public enum IterationEnd: Equatable, Sendable {
        case passed
        /// `signature` identifies the failure for stall detection; `failure` says whether the gates or the agent failed.
        case failed(detail: String?, signature: String?, failure: FailureContext.Reason?)
        /// Stopped before its gates decided: interrupted, out of time, canceled, blocked, over budget.
        case stopped(ExitReason, detail: String?)
    }

    /// The event `kind` happening at `time`, by `actor`, moving the task from `fromState` to `toState`.
    public init(time: Timestamp, kind: Kind, actor: String, fromState: TaskState?, toState: TaskState) {
        self.init(time: time, event: kind.name, actor: actor, fromState: fromState, toState: toState, details: kind.details)
    }

    /// The typed view of this event.
    public var kind: Kind { Kind(name: event, details: details) }
}

extension TaskEvent.Kind {
    /// The event's name in the log and in commits' `AEE-Event` trailers.
    public var name: String {
        switch self {
        case .created: "created"
        case .approved: "approved"
        case .queued: "queued"
        case .requeued: "requeued"
        case .started: "started"
        case .resumed: "resumed"
        case .planned: "planned"
        case .workItemEnded(_, _, let status): "work_item_" + status.rawValue
        case .workItemsMerged: "work_items_merged"
        case .verified: "verified"
        case .iterationEnded(_, _, let end): "iteration_" + end.verdict
        case .finished(let reason, _): reason.state.rawValue.lowercased()
        case .canceled: "canceled"
        case .unknown(let name): name
        }
    }

    /// The details written for it.
    var details: [String: String] {
        var details: [String: String] = [:]
        switch self {
        case .created, .approved, .queued, .requeued, .unknown:
            break
        case .started(let claim):
            details = claim.details
        case .resumed(let claim, let iteration, let previous):
            details = claim.details
            details["previous_owner"] = previous
            details["iteration"] = String(iteration)
        case .planned(let iteration, let count, let source):
            details = ["iteration": String(iteration), "work_items": String(count), "source": source]
        case .workItemEnded(let iteration, let item, let status):
            details = ["iteration": String(iteration), "work_item": item, "status": status.rawValue]
        case .workItemsMerged(let iteration, let items, let conflicts):
            details = ["iteration": String(iteration), "work_items": items.joined(separator: ",")]
            if !conflicts.isEmpty { details["conflicts"] = conflicts.joined(separator: ",") }
        case .verified(let iteration, let passed, let cleared):
            details = ["iteration": String(iteration), "passed": String(passed)]
            details["cleared"] = cleared
        case .iterationEnded(let iteration, let attempt, let end):
            details = ["iteration": String(iteration), "attempt": attempt]
            switch end {
            case .passed:
                break
            case .failed(let detail, let signature, let failure):
                details["detail"] = detail
                details["signature"] = signature
                details["failure"] = failure?.rawValue
            case .stopped(_, let detail):
                details["detail"] = detail
            }
        case .finished(let reason, let cause):
            details = ["exit_reason": reason.rawValue]
            details["cause"] = cause
        case .canceled(let reason):
            details["reason"] = reason
        }
        return details
    }

    /// Reads an event written as `name` with `details`; `.unknown` when this version cannot.
    init(name: String, details: [String: String]) {
        let iteration = details["iteration"].flatMap { Int($0) }
        switch name {
        case "created": self = .created
        case "approved": self = .approved
        case "queued": self = .queued
        case "requeued": self = .requeued
        case "started": self = .started(TaskEvent.Claim(details))
        case "resumed":
            guard let iteration else { self = .unknown(name); return }
            self = .resumed(TaskEvent.Claim(details), iteration: iteration, previousOwner: details["previous_owner"] ?? "")
        case "planned":
            guard let iteration, let count = details["work_items"].flatMap({ Int($0) }) else { self = .unknown(name); return }
            self = .planned(iteration: iteration, workItems: count, source: details["source"] ?? "")
        case "work_items_merged":
            guard let iteration, let items = details["work_items"] else { self = .unknown(name); return }
            func list(_ text: String?) -> [String] { (text ?? "").split(separator: ",").map(String.init) }
            self = .workItemsMerged(iteration: iteration, workItems: list(items), conflicts: list(details["conflicts"]))
        case "verified":
            guard let iteration, let passed = details["passed"].flatMap({ Bool($0) }) else { self = .unknown(name); return }
            self = .verified(iteration: iteration, passed: passed, cleared: details["cleared"])
        case "canceled":
            self = .canceled(reason: details["reason"])
        case "succeeded", "failed", "blocked":
            guard let reason = details["exit_reason"].flatMap(ExitReason.init(rawValue:)) else { self = .unknown(name); return }
            self = .finished(reason, cause: details["cause"])
        default:
            if name.hasPrefix("work_item_"), let iteration, let item = details["work_item"],
               let status = AgentReport.Status(rawValue: String(name.dropFirst("work_item_".count))) {
                self = .workItemEnded(iteration: iteration, workItem: item, status: status)
            } else if name.hasPrefix("iteration_"), let iteration, let attempt = details["attempt"],
                      let end = TaskEvent.IterationEnd(name: String(name.dropFirst("iteration_".count)), details: details) {
                self = .iterationEnded(iteration: iteration, attempt: attempt, end: end)
            } else {
                self = .unknown(name)
            }
        }
    }

    /// What an event's name alone says, for an `AEE-Event` trailer (which carries the name, not the details): the
    /// steps an attempt commits, and an iteration's end.
    enum Named: Equatable {
        case planned, workItemEnded, workItemsMerged, verified, iterationEnded, other
    }

    /// The family of the event written as `name`.
    static func named(_ name: String) -> Named {
        switch name {
        case "planned": .planned
        case "verified": .verified
        case "work_items_merged": .workItemsMerged
        case _ where name.hasPrefix("work_item_") && AgentReport.Status(rawValue: String(name.dropFirst("work_item_".count))) != nil: .workItemEnded
        case _ where name.hasPrefix("iteration_") && TaskEvent.IterationEnd(name: String(name.dropFirst("iteration_".count)), details: [:]) != nil: .iterationEnded
        default: .other
        }
    }

    /// The claim a `started` or `resumed` event makes; nil for any other.
    public var claim: TaskEvent.Claim? {
        switch self {
        case .started(let claim), .resumed(let claim, _, _): claim
        default: nil
        }
    }
}

extension TaskEvent.Claim {
    /// The claim of this process, running `agent` (and `model`), with a lease of `leaseSeconds` through a remote.
    init(process details: [String: String], agent: String, model: String?, leaseSeconds: Int?) {
        self.init(details)
        self.agent = agent
        self.model = model
        self.leaseSeconds = leaseSeconds.map(String.init)
    }

    init(_ details: [String: String]) {
        host = details["host"]
        pid = details["pid"]
        process = details["process"]
        agent = details["agent"]
        model = details["model"]
        leaseSeconds = details["lease_seconds"]
    }

    var details: [String: String] {
        var details: [String: String] = [:]
        details["host"] = host
        details["pid"] = pid
        details["process"] = process
        details["agent"] = agent
        details["model"] = model
        details["lease_seconds"] = leaseSeconds
        return details
    }
}

extension TaskEvent.IterationEnd {
    /// `passed`, `failed`, or the reason it stopped: the event's name after `iteration_`.
    public var verdict: String {
        switch self {
        case .passed: "passed"
        case .failed: "failed"
        case .stopped(let reason, _): reason.rawValue
        }
    }

    /// What it says about the end, for a person.
    public var detail: String? {
        switch self {
        case .passed: nil
        case .failed(let detail, _, _), .stopped(_, let detail): detail
        }
    }

    /// From the part of the event's name after `iteration_`.
    init?(name: String, details: [String: String]) {
        switch name {
        case "passed": self = .passed
        case "failed":
            // A failure kind this version does not know makes the event unknown, so it is never written back without it.
            let failure = details["failure"].map(FailureContext.Reason.init(rawValue:))
            if case .some(.none) = failure { return nil }
            self = .failed(detail: details["detail"], signature: details["signature"], failure: failure.flatMap { $0 })
        default:
            guard let reason = ExitReason(rawValue: name) else { return nil }
            self = .stopped(reason, detail: details["detail"])
        }
    }
}
