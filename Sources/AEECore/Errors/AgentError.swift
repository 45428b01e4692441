/// What can go wrong with choosing and finding the agent a task runs.
public enum AgentError: AEEError, Equatable {
    case noAgent
    case notFound(String)
    case notInstalled(agent: String, program: String, hint: String)
    case needsModel(agent: String)
    case modelForCommand(String)
    case builtInMisnamed(String, meant: String)

    public var description: String {
        switch self {
        case .noAgent:
            "no agent is configured to run the task"
        case .notFound(let program):
            "the agent command '\(program.quotedInMessage)' was not found"
        case .notInstalled(let agent, let program, _):
            "the agent \(agent) runs '\(program)', which is not on PATH"
        case .needsModel(let agent):
            "the agent \(agent) needs a model: without one it picks a provider by whichever API key it finds"
        case .modelForCommand(let command):
            "--model is for a built-in agent; the agent command '\(command.quotedInMessage)' takes none"
        case .builtInMisnamed(let command, let meant):
            "'\(command.quotedInMessage)' is not an agent git aee knows: the built-in agent is '\(meant)'"
        }
    }
}
