/// The agent CLIs git aee knows by name (`--agent claude-code`), each driven by a file of its own.
public enum BuiltInAgent: String, CaseIterable, Sendable {
    case claudeCode = "claude-code"
    case codex
    case aider
    case miniSWEAgent = "mini-swe-agent"

    /// The built-in agent a command that is not one most likely means: its CLI's bare program (`claude`, `mini`),
    /// or its name mistyped (`claude_code`, `Claude-Code`). A command with arguments is the user's own.
    static func meant(by command: String) -> BuiltInAgent? {
        let word = command.trimmingWhitespace.lowercased()
        guard !word.contains(" ") else { return nil }
        return allCases.first { $0.cli.program == word || $0.rawValue == word.replacing("_", with: "-") }
    }

    var cli: any AgentCLI {
        switch self {
        case .claudeCode: ClaudeCode()
        case .codex: Codex()
        case .aider: Aider()
        case .miniSWEAgent: MiniSWEAgent()
        }
    }
}

/// The agent a run drives: a CLI git aee knows, or a command under the generic contract.
enum AgentChoice: Equatable, Sendable {
    case builtIn(BuiltInAgent, model: String?, arguments: [String])
    case command(String)

    /// `text` names a built-in agent when it is exactly its name; anything else is a shell command.
    init(_ text: String, model: String?, arguments: [String]) {
        if let agent = BuiltInAgent(rawValue: text.trimmingWhitespace) {
            self = .builtIn(agent, model: model, arguments: arguments)
        } else {
            self = .command(text)
        }
    }

    /// What the task's records remember (the `agent` of `started` and `resumed`).
    var name: String {
        switch self {
        case .builtIn(let agent, _, _): agent.rawValue
        case .command(let command): command
        }
    }

    /// What a user approves before it runs from the repository's configuration: the command, or the built-in agent
    /// with the arguments the configuration adds (which may start programs); nil for a built-in agent as it is.
    var approvable: String? {
        switch self {
        case .command(let command): command
        case .builtIn(_, _, let arguments) where arguments.isEmpty: nil
        case .builtIn(let agent, _, let arguments): ([agent.rawValue] + arguments.map(Self.shellWord)).joined(separator: " ")
        }
    }
}

extension AgentChoice {
    /// `word` as the shell would read it back: as it is when it is plain, else in single quotes. (Two different lists
    /// of arguments must never read as one approval.)
    static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_./=:,@%+".unicodeScalars.contains($0) }
        return plain ? word : "'" + word.replacing("'", with: #"'\''"#) + "'"
    }
}

extension ProjectConfig.AgentSettings {
    /// The agent the team's configuration names, if any.
    var choice: AgentChoice? {
        if let kind { return AgentChoice(kind, model: model, arguments: args ?? []) }
        return command.map { AgentChoice($0, model: nil, arguments: []) }
    }
}
