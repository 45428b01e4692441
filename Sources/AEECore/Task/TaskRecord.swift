/// How a task may ask for a human: never (`autonomous`) or at the plan (`interactive`).
public enum RunMode: String, Codable, CaseIterable, Sendable {
    case autonomous
    case interactive
}

/// The settings a task was created with.
public struct TaskMetadata: Codable, Equatable, Sendable {
    public var gates: [String]
    public var maxIterations: Int
    public var runMode: RunMode

    public init(gates: [String], maxIterations: Int, runMode: RunMode) {
        self.gates = gates
        self.maxIterations = maxIterations
        self.runMode = runMode
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case gates
        case maxIterations = "max_iterations"
        case runMode = "run_mode"
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
    @ExplicitNull public var exitReason: String?
    public var metadata: TaskMetadata

    public static let currentVersion = 1

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, id, title, state, iteration, metadata
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
        self.metadata = metadata
    }
}
