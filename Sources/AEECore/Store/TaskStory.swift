import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A task's iterations as its records tell them, for `show`: what each one did, what the gates said, how long it
/// took and what it cost.
public struct TaskStory: Sendable {
    public struct Iteration: Sendable {
        public let number: Int
        /// How it ended; nil for the one a run is in now.
        public let end: TaskEvent.IterationEnd?
        public let workItems: [WorkItem]
        public let gates: [Gate]
        /// What the agents reported it cost; nil when they reported nothing.
        public let costUSD: Decimal?
        /// From the step before it to its end, by the records' clock (whole seconds); nil while it runs.
        public let seconds: Int64?
        /// The agent call that did not end well, when one ended the iteration: what the agent said.
        public let agentStop: AgentStop?
        /// What the next iteration was told of this one's failure (`failure_context.json`), when it failed.
        public let failure: FailureContext?
        /// How each of the attempts it ran side by side ended (`attempts.json`); nil when it ran one.
        public var race: AttemptRaceRecord? = nil
    }

    public struct WorkItem: Sendable {
        public let id: String
        public let title: String
        /// `done`, `failed`, `needs_human`, `timed_out`, `killed`, or `not_run`.
        public let status: String
        public let filesChanged: Int
        /// The commit that recorded the item's work (its change is against that commit's first parent); nil when it
        /// was not run.
        public let commit: String?
        /// What of the agent's doing was not taken, from the item's report.
        public let kept: KeptOut
    }

    /// What git aee did not take from a work item's agent, and why: each says what the agent tried.
    public struct KeptOut: Decodable, Sendable {
        /// Paths under `.aee/` it changed, put back: the records are git aee's.
        public var putBack: [String] = []
        /// What it changed in its workspace's git directory (config, hooks, refs), undone after the call.
        public var undone: [String] = []
        /// Repositories inside the tree with no commit checked out, left out as `git add` leaves them.
        public var leftOut: [String] = []
        /// The commit hooks that refused the change, so it was not committed.
        public var refusingHooks: [String] = []

        public var isEmpty: Bool { putBack.isEmpty && undone.isEmpty && leftOut.isEmpty && refusingHooks.isEmpty }

        init() {}

        public init(from decoder: Decoder) throws {
            struct Hook: Decodable {
                var hook: String
                var status: String
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            putBack = try container.decodeIfPresent([String].self, forKey: .putBack) ?? []
            undone = try container.decodeIfPresent([String].self, forKey: .undone) ?? []
            leftOut = try container.decodeIfPresent([String].self, forKey: .leftOut) ?? []
            refusingHooks = (try container.decodeIfPresent([Hook].self, forKey: .hooks) ?? []).filter { $0.status != "passed" }.map(\.hook)
        }

        enum CodingKeys: String, CodingKey {
            case putBack = "refused_changes"
            case undone = "undone_git_changes"
            case leftOut = "not_staged"
            case hooks = "commit_hooks"
        }
    }

    /// An agent call that did not end `done`, as its artifact records it.
    public struct AgentStop: Sendable {
        /// `plan` or `execute`.
        public let stage: String
        public let workItem: String?
        public let report: AgentReport
    }

    public struct Gate: Sendable {
        public let name: String
        public let status: String
        public let exitCode: Int32?
        /// The first line of what it printed, when it did not pass.
        public let firstLine: String?
        /// The last part of what it printed.
        public let output: String
        /// A pass remembered for the same tree, not run again.
        public let cached: Bool
    }

    public let iterations: [Iteration]
    /// When its first run started; nil before any run.
    public let started: Timestamp?
    /// From the first run's start to the last event, when the task has run.
    public let seconds: Int64?
}

extension TaskStore {
    /// The story of `id`'s iterations, read from its records (the artifacts of each iteration, and its events).
    public func story(of id: TaskID) throws -> TaskStory {
        return try doing("read task \(id)'s iterations") {
            let location = try location(of: id)
            let record = try read(at: location)
            let events = try readEvents(at: location)
            func artifact<T: Decodable>(_ iteration: Int, _ name: String, as type: T.Type) -> T? {
                let path = "\(id.recordDirectory)/iterations/\(iteration)/\(name)"
                return (try? repository.blob(at: path, inTree: location.tree)).flatMap { $0 }.flatMap { try? JSONInput.decode(T.self, from: $0, file: path) }
            }
            var iterations: [TaskStory.Iteration] = []
            for number in stride(from: 1, through: record.iteration, by: 1) {
                let summary = artifact(number, "work_items_summary.json", as: WorkItemsSummary.self)
                let gates = artifact(number, "gate_results.json", as: StoredGateReport.self)?.results.map { result in
                    TaskStory.Gate(name: result.gate, status: result.status.rawValue, exitCode: result.exitCode,
                                   firstLine: result.status == .passed ? nil : result.outputTail.split(whereSeparator: \.isNewline).first.map(String.init),
                                   output: result.outputTail, cached: result.cached == true)
                } ?? []
                let ending = events.lastIndex { if case .iterationEnded(number, _, _) = $0.kind { true } else { false } }
                let first = events.firstIndex { $0.details["iteration"] == String(number) && !($0.kind.claim != nil) }
                var seconds: Int64?
                if let ending, let first, first > 0 { seconds = events[ending].time.seconds - events[first - 1].time.seconds }
                var end: TaskEvent.IterationEnd?
                if let ending, case .iterationEnded(_, _, let recorded) = events[ending].kind { end = recorded }
                let items = summary?.workItems ?? []
                // The plan's call, else the first item whose call did not end done (a failed item stops the rest).
                let stop = artifact(number, "open_plan.json", as: StoredAgentCall.self).flatMap { plan in
                    plan.agent.status == .done ? nil : TaskStory.AgentStop(stage: "plan", workItem: nil, report: plan.agent)
                } ?? items.lazy.filter { $0.status != "done" && $0.status != "not_run" }.compactMap { item in
                    artifact(number, "work_item_\(item.id).json", as: StoredAgentCall.self).map { TaskStory.AgentStop(stage: "execute", workItem: item.id, report: $0.agent) }
                }.first
                let race = artifact(number, "attempts.json", as: AttemptRaceRecord.self)
                // Every attempt's cost is the iteration's.
                let cost = race.map { $0.attempts.map(\.usage).reduce(Usage.unknown, +).costUSD } ?? summary?.usage.costUSD
                iterations.append(TaskStory.Iteration(
                    number: number, end: end,
                    workItems: items.map { item in
                        TaskStory.WorkItem(id: item.id, title: item.title, status: item.status, filesChanged: item.filesChanged, commit: item.commit,
                                           kept: item.status == "not_run" ? .init() : artifact(number, "work_item_\(item.id).json", as: TaskStory.KeptOut.self) ?? .init())
                    },
                    gates: gates, costUSD: cost, seconds: seconds, agentStop: stop,
                    failure: artifact(number, "failure_context.json", as: FailureContext.self), race: race))
            }
            if record.state == .running {
                iterations.append(TaskStory.Iteration(number: record.iteration + 1, end: nil, workItems: [], gates: [], costUSD: nil, seconds: nil,
                                                      agentStop: nil, failure: nil))
            }
            let start = events.first { $0.kind.claim != nil }?.time
            return TaskStory(iterations: iterations, started: start, seconds: start.flatMap { start in events.last.map { $0.time.seconds - start.seconds } })
        }
    }
}

/// How `change(of:)` prints a task's change (`git diff`, `--name-only`, `--name-status`, `--stat`).
public typealias PatchFormat = Git.PatchFormat

extension Workspace {
    /// The change task `id` made, from its base commit to its branch's tip, without its records under `.aee/`:
    /// limited to `paths` when any are given, printed in `format`.
    public func change(of id: TaskID, paths: [String], format: PatchFormat) throws -> [UInt8] {
        return try doing("diff task \(id)") {
            let location = try store.location(of: id)
            let record = try store.read(at: location)
            let base = try record.baseCommit.flatMap(OID.init(hex:)).map { commit in
                guard (try? repository.commit(commit)) != nil else { throw TaskError.baseCommitMissing(id, commit: commit.hex) }
                return try repository.commit(commit).tree
            }
            return try repository.patch(from: base, to: location.tree, paths: paths, excluding: ".aee", format: format, style: try patchStyle())
        }
    }
}

extension Workspace {
    /// The change one of a task's commits made against its first parent, without `.aee/`: a work item's own work.
    public func change(ofCommit hex: String, format: PatchFormat) throws -> [UInt8] {
        return try doing("diff commit \(hex)") {
            guard let oid = OID(hex: hex), let commit = try? repository.commit(oid) else { throw RepositoryError.unknownRevision(hex) }
            let parent = try commit.parents.first.map { try repository.commit($0).tree }
            return try repository.patch(from: parent, to: commit.tree, paths: [], excluding: ".aee", format: format, style: try patchStyle())
        }
    }

    /// How git prints a change here: `core.quotepath`, `diff.renames` (true since git 2.9, or `copies`) and
    /// `diff.noprefix`, `git -c` included.
    func patchStyle() throws -> PatchStyle {
        let renames = try settings.string("diff.renames")?.lowercased()
        return PatchStyle(quotingNonASCII: try settings.bool("core.quotepath") ?? true,
                          renames: renames == "copies" || renames == "copy" ? .copies
                              : ["false", "no", "off", "0"].contains(renames ?? "") ? PatchStyle.Renames.none : .renames,
                          noPrefix: try settings.bool("diff.noprefix") ?? false)
    }
}

/// Writes `bytes` to `path` whole or not at all (a file beside it, then a rename), for pages a command writes out.
public func writeWhole(_ bytes: [UInt8], to path: String) throws {
    do {
        try replaceFile(path, with: bytes)
    } catch let error as GitError {
        throw RepositoryError.fileSystem(path: path, reason: "cannot be written: \(error.message)")
    }
}
