/// How a task may ask for a human: never (`autonomous`) or at the plan (`interactive`).
public enum RunMode: String, Codable, CaseIterable, Sendable, FileChoice {
    case autonomous
    case interactive
}

/// The settings a task was created with.
public struct TaskMetadata: Codable, Equatable, Sendable {
    public var gates: [String]
    public var maxIterations: Int
    public var runMode: RunMode
    public var retry: RetryStrategy
    /// The agents' summed `cost_usd` past which the run stops with `budget`; nil: no limit.
    @ExplicitNull public var maxCostUSD: Double?

    public init(gates: [String], maxIterations: Int, runMode: RunMode, retry: RetryStrategy = .continue, maxCostUSD: Double? = nil) {
        self.gates = gates
        self.maxIterations = maxIterations
        self.runMode = runMode
        self.retry = retry
        self.maxCostUSD = maxCostUSD
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case gates, retry
        case maxIterations = "max_iterations"
        case runMode = "run_mode"
        case maxCostUSD = "max_cost_usd"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        gates = try container.decode([String].self, forKey: .gates)
        maxIterations = try container.decode(Int.self, forKey: .maxIterations)
        runMode = try container.decode(RunMode.self, forKey: .runMode)
        // Records written before runs existed have neither key.
        retry = try container.decodeIfPresent(RetryStrategy.self, forKey: .retry) ?? .continue
        _maxCostUSD = try container.decode(ExplicitNull<Double>.self, forKey: .maxCostUSD)
    }
}

/// The current record of a task: `.aee/tasks/<id>/task.json`.
public struct TaskRecord: Codable, Equatable, Sendable {
    /// The record format; bumped when a field changes meaning.
    public var version: Int
    public let id: TaskID
    public var title: String
    public var state: TaskState
    public var createdBy: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// The commit the task started from; nil in a repository that had no commits.
    @ExplicitNull public var baseCommit: String?
    /// The branch HEAD named when the task was created; nil on a detached HEAD.
    @ExplicitNull public var baseBranch: String?
    public var iteration: Int
    @ExplicitNull public var exitReason: ExitReason?
    /// Why, in words, when the reason alone does not say (the cause of a block, the gate that kept failing).
    @ExplicitNull public var exitDetail: String?
    /// What the agents reported spending; nil until the task first runs.
    @ExplicitNull public var usage: Usage?
    public var metadata: TaskMetadata

    public static let currentVersion = 1

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, id, title, state, iteration, metadata, usage
        case exitDetail = "exit_detail"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case baseCommit = "base_commit"
        case baseBranch = "base_branch"
        case exitReason = "exit_reason"
    }

    public init(id: TaskID, title: String, createdBy: String, at time: Timestamp, baseCommit: String?, baseBranch: String?, metadata: TaskMetadata) {
        version = Self.currentVersion
        self.id = id
        self.title = title
        state = .draft
        self.createdBy = createdBy
        createdAt = time
        updatedAt = time
        self.baseCommit = baseCommit
        self.baseBranch = baseBranch
        iteration = 0
        exitReason = nil
        exitDetail = nil
        usage = nil
        self.metadata = metadata
    }
}

extension TaskRecord {
    /// Oldest first, by creation time (git's one-second precision), then by id, which begins with where in its second it
    /// was made: the order of `list`, `report` and the queue.
    static func createdBefore(_ lhs: TaskRecord, _ rhs: TaskRecord) -> Bool {
        (lhs.createdAt, lhs.id) < (rhs.createdAt, rhs.id)
    }
}
