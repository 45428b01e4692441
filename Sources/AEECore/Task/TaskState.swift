/// Where a task is in its life.
public enum TaskState: String, Codable, CaseIterable, Sendable, CustomStringConvertible, FileChoice {
    case draft = "DRAFT"
    case approved = "APPROVED"
    case queued = "QUEUED"
    case running = "RUNNING"
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    case blocked = "BLOCKED"
    case canceled = "CANCELED"

    public var description: String { rawValue }

    public var isFinal: Bool { StateMachine.successors(of: self).isEmpty }

    /// Accepts any case (`draft`, `Draft`, `DRAFT`), as a user types it.
    public init?(userInput: String) {
        self.init(rawValue: userInput.uppercased())
    }
}
