/// Which part of an iteration an agent call serves; the value of `AEE_STAGE`.
public enum AgentStage: String, Sendable, CaseIterable {
    case plan
    case execute
    /// A review gate's call: the attempt's change judged by a reviewing agent.
    case review
}
