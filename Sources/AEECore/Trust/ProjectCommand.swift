import Git

/// A command from the repository that git aee is asked to run: the agent's or a gate's (with the environment it
/// sets) from `.aee/config.json`, or the agent a task's records name.
public struct ProjectCommand: Codable, Equatable, Sendable {
    /// `agent`, `agent:<stage>` (`agent.plan` of `.aee/config.json`), or `gate:<name>`; gate names are validated, so
    /// this never holds a space.
    public let role: String
    public let command: String
    public let env: [String: String]
    /// True for the agent a task's records name (not part of what an approval is keyed by).
    public var fromTaskRecord = false

    enum CodingKeys: String, CodingKey {
        case role, command, env
    }

    init(role: String, command: String, env: [String: String]) {
        self.role = role
        self.command = command
        self.env = env
    }

    static func agent(_ command: String, fromTaskRecord: Bool = false) -> ProjectCommand {
        var agent = ProjectCommand(role: "agent", command: command, env: [:])
        agent.fromTaskRecord = fromTaskRecord
        return agent
    }

    /// The agent `.aee/config.json` names for `stage`.
    static func agent(_ command: String, stage: AgentStage) -> ProjectCommand {
        ProjectCommand(role: "agent:" + stage.rawValue, command: command, env: [:])
    }

    static func gate(_ name: String, command: String, env: [String: String]) -> ProjectCommand {
        ProjectCommand(role: "gate:" + name, command: command, env: env)
    }

    /// What an approval is keyed by: any change to the command or its environment is a different digest.
    var digest: String {
        Repository.hash(of: (try? CanonicalJSON.encode(self)) ?? []).hex
    }

    /// The approval as recorded in `aee.trusted`: the digest, then the role, so a changed command can be told from a new one.
    var approval: String { digest + " " + role }

    /// `agent` or `gate 'tests'`, for messages.
    public var label: String {
        role.hasPrefix("gate:") ? "gate '\(role.dropFirst(5))'" : role.hasPrefix("agent:") ? "the agent for the \(role.dropFirst(6)) stage"
            : fromTaskRecord ? "the agent of the task's last run" : role
    }

    /// The command as a person should read it before approving it: with its environment, control characters escaped.
    public var shown: String {
        let assignments = env.keys.sorted().map { "\($0)=\(env[$0]!)" }
        return (assignments + [command]).joined(separator: " ").escapedForTerminal
    }
}
