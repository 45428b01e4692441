/// Which half of an iteration an agent call serves; the value of `AEE_STAGE`.
public enum AgentStage: String, Sendable {
    case plan
    case execute
}
