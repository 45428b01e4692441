/// How one agent call ended, as recorded in the plan and work item artifacts.
public struct AgentReport: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        case done
        case needsHuman = "needs_human"
        case failed
        case timedOut = "timed_out"
        /// Killed by a signal: an interrupt of git aee, or something outside it.
        case killed
    }

    public var status: Status
    @ExplicitNull public var exitCode: Int32?
    public var durationMilliseconds: Int
    /// The end of what the agent printed (stdout and stderr interleaved).
    public var outputTail: String
    public var outputDroppedBytes: Int
    /// Why the result file was not used, when it was not.
    @ExplicitNull public var resultProblem: String?
    /// Why a built-in agent's call failed, as its CLI said (absent for commands, and for calls that went well).
    public var failure: AgentFailure?
    /// Tool calls a built-in agent's CLI refused the agent (absent when none were).
    public var permissionDenials: [String]?

    init(status: Status, exitCode: Int32?, durationMilliseconds: Int, outputTail: String, outputDroppedBytes: Int, resultProblem: String?) {
        self.status = status
        self.exitCode = exitCode
        self.durationMilliseconds = durationMilliseconds
        self.outputTail = outputTail
        self.outputDroppedBytes = outputDroppedBytes
        self.resultProblem = resultProblem
    }

    enum CodingKeys: String, CodingKey {
        case status, failure
        case permissionDenials = "permission_denials"
        case exitCode = "exit_code"
        case durationMilliseconds = "duration_ms"
        case outputTail = "output_tail"
        case outputDroppedBytes = "output_dropped_bytes"
        case resultProblem = "result_problem"
    }
}

/// `open_plan.json`: the plan an iteration works from, and where it came from.
struct OpenPlan: Encodable {
    enum Source: String, Encodable {
        /// The agent's own plan.
        case agent
        /// No usable plan: one work item equal to the task.
        case fallback
    }

    var iteration: Int
    @ExplicitNull var summary: String?
    var source: Source
    /// What was wrong with the agent's plan, or what had to be replaced in it.
    var problems: [String]
    var agent: AgentReport
    var usage: Usage
}

/// `work_items.json`: the items the iteration executes, in order.
struct WorkItemList: Encodable {
    var iteration: Int
    var workItems: [WorkItem]

    enum CodingKeys: String, CodingKey {
        case iteration
        case workItems = "work_items"
    }
}

/// `work_item_<id>.json`: one executed work item, committed with the agent's changes.
struct WorkItemReport: Encodable {
    var iteration: Int
    var workItem: WorkItem
    var agent: AgentReport
    /// Measured from git: the paths this commit changes, outside `.aee/`.
    var filesChanged: [String]
    /// Paths under `.aee/` the agent changed; they are git aee's and were put back.
    var refusedChanges: [String]
    /// Repositories the agent made inside the tree, recorded as gitlinks as `git add` records them (their files
    /// are not in the commit; git warns "adding embedded git repository").
    var embeddedRepositories: [String]
    /// Repositories inside the tree with no commit checked out, which `git add` refuses: left out.
    var notStaged: [String]
    /// Commits the agent made itself, oldest first: the work item's commit has the newest as its second parent.
    var agentCommits: [String]
    /// What the agent changed in its workspace's git directory (config, hooks, refs, HEAD), undone after the call;
    /// none of it reached the user's repository.
    var undoneGitChanges: [String]
    /// The repository's commit hooks that judged the commit; a refusal means the change was not committed.
    var commitHooks: [CommitHookResult]
    var commandsRun: [String]
    var testsRun: [String]
    var evidence: [String]
    @ExplicitNull var handoffNotes: String?
    var usage: Usage

    enum CodingKeys: String, CodingKey {
        case iteration, agent, evidence, usage
        case workItem = "work_item"
        case filesChanged = "files_changed"
        case refusedChanges = "refused_changes"
        case agentCommits = "agent_commits"
        case embeddedRepositories = "embedded_repositories"
        case notStaged = "not_staged"
        case undoneGitChanges = "undone_git_changes"
        case commitHooks = "commit_hooks"
        case commandsRun = "commands_run"
        case testsRun = "tests_run"
        case handoffNotes = "handoff_notes"
    }
}

/// What one commit hook said of a work item's commit.
struct CommitHookResult: Codable {
    var hook: String
    var status: GateResult.Status
    @ExplicitNull var exitCode: Int32?
    var outputTail: String

    var passed: Bool { status == .passed }

    init(_ verdict: CommitHooks.Verdict) {
        hook = verdict.hook
        let outcome = verdict.outcome
        status = outcome.timedOut ? .timedOut : outcome.exitCode == 0 ? .passed : .failed
        exitCode = outcome.exitCode
        outputTail = String(decoding: outcome.output, as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey {
        case hook, status
        case exitCode = "exit_code"
        case outputTail = "output_tail"
    }
}

/// `work_items_summary.json`: how the iteration's execution went, item by item.
struct WorkItemsSummary: Codable {
    struct Entry: Codable {
        var id: String
        var title: String
        /// `done`, `failed`, `needs_human`, `timed_out`, `killed`, or `not_run` after an earlier item failed.
        var status: String
        @ExplicitNull var commit: String?
        var filesChanged: Int

        enum CodingKeys: String, CodingKey {
            case id, title, status, commit
            case filesChanged = "files_changed"
        }
    }

    var iteration: Int
    var workItems: [Entry]
    var usage: Usage

    enum CodingKeys: String, CodingKey {
        case iteration, usage
        case workItems = "work_items"
    }
}

/// `failure_context.json`, and the file the next iteration's agent reads through `AEE_CONTEXT_FILE`: why the
/// iteration failed, with the evidence an agent needs to do better.
public struct FailureContext: Codable, Equatable, Sendable {
    /// One gate that did not pass.
    public struct FailedGate: Codable, Equatable, Sendable {
        public var gate: String
        public var status: String
        @ExplicitNull public var exitCode: Int32?
        public var outputTail: String

        enum CodingKeys: String, CodingKey {
            case gate, status
            case exitCode = "exit_code"
            case outputTail = "output_tail"
        }
    }

    /// The agent call that failed, when that is what ended the iteration.
    public struct FailedAgent: Codable, Equatable, Sendable {
        public var stage: String
        @ExplicitNull public var workItem: String?
        public var status: String
        @ExplicitNull public var exitCode: Int32?
        public var outputTail: String
        /// Why a built-in agent's call failed, as its CLI said.
        public var failure: AgentFailure?

        /// Whether trying again cannot help, so the run ends at once: the shell could not run the command at all
        /// (126, 127), or the CLI refused its flags, or its model's API cannot be reached or refuses the key.
        var endsTheRun: Bool { exitCode == 126 || exitCode == 127 || failure?.isFinal == true }

        enum CodingKeys: String, CodingKey {
            case stage, status, failure
            case workItem = "work_item"
            case exitCode = "exit_code"
            case outputTail = "output_tail"
        }
    }

    /// Why an iteration failed, as its end event and `failure_context.json` say.
    public enum Reason: String, Codable, Equatable, Sendable {
        case gatesFailed = "gates_failed"
        case agentFailed = "agent_failed"
        /// Work items that ran side by side changed the same lines, and did again when run once more.
        case conflict
    }

    /// A work item whose change could not be merged with the items run beside it.
    public struct Conflict: Codable, Equatable, Sendable {
        public var workItem: String
        /// The items merged before it that changed the same files.
        public var with: [String]
        public var files: [String]

        enum CodingKeys: String, CodingKey {
            case with, files
            case workItem = "work_item"
        }
    }

    public var iteration: Int
    public var reason: Reason
    public var failedGates: [FailedGate]
    @ExplicitNull public var agent: FailedAgent?
    /// What the iteration changed, measured from git.
    public var filesChanged: [String]
    /// Identifies the failure, so the same failure repeating can be told from progress.
    public var signature: String
    /// The work items that conflicted (absent unless some did).
    public var conflicts: [Conflict]?
    /// The failures of the other attempts run beside this one (`--attempts`), when none passed.
    public var attempts: [FailureContext]?

    enum CodingKeys: String, CodingKey {
        case iteration, reason, agent, signature, conflicts, attempts
        case failedGates = "failed_gates"
        case filesChanged = "files_changed"
    }
}
