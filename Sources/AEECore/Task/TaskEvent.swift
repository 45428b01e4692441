/// One line of a task's audit log, `.aee/tasks/<id>/events.jsonl`.
public struct TaskEvent: Codable, Equatable, Sendable {
    public var time: Timestamp
    /// What happened: `created`, `approved`, `canceled`, ...
    public var event: String
    /// Who did it, as `Name <email>`.
    public var actor: String
    @ExplicitNull public var fromState: TaskState?
    public var toState: TaskState
    public var details: [String: String]

    public init(time: Timestamp, event: String, actor: String, fromState: TaskState?, toState: TaskState, details: [String: String] = [:]) {
        self.time = time
        self.event = event
        self.actor = actor
        self.fromState = fromState
        self.toState = toState
        self.details = details
    }

    enum CodingKeys: String, CodingKey {
        case time, event, actor, details
        case fromState = "from_state"
        case toState = "to_state"
    }
}
