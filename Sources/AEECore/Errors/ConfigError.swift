/// What can go wrong with configuration: files, settings, gates and the approval of the project's commands.
public enum ConfigError: AEEError, Equatable {
    /// A JSON file (config, record, event log) that is malformed or has a wrong value.
    case invalidFile(file: String, key: String, reason: String)
    case configExists(file: String)
    case unknownGate(String, known: [String])
    case gateCycle([String])
    case invalidSetting(key: String, value: String, expected: String)
    case invalidDate(variable: String, value: String)
    /// `commit`: the commit looked in, when not the working tree.
    case noProjectConfig(commit: String?)
    /// `commit`: the commit whose `.aee/config.json` holds them, when not the working tree's.
    case untrustedCommands([UntrustedCommand], commit: String?)
    /// A review gate whose reviewing agent is the one that executes (`agent`), without `allow_self_review`.
    case selfReview(gate: String, agent: String)
    /// A gate whose command runs a program that is not on PATH: it could never pass.
    case gateProgramMissing(gate: String, program: String)

    public var description: String {
        switch self {
        case .invalidFile(let file, let key, let reason):
            key.isEmpty ? "\(file): \(reason.escapedForTerminal)" : "\(file): '\(key.quotedInMessage)': \(reason.escapedForTerminal)"
        case .configExists(let file):
            "\(file) already exists"
        case .unknownGate(let name, let known):
            "unknown gate '\(name.quotedInMessage)' (known: \(known.joined(separator: ", ")))"
        case .gateCycle(let names):
            "the gates' 'needs' form a loop: \(names.joined(separator: " -> "))"
        case .invalidSetting(let key, let value, let expected):
            "bad value '\(value.quotedInMessage)' for \(key): expected \(expected)"
        case .invalidDate(let variable, let value):
            "invalid date format in \(variable): \(value.quotedInMessage)"
        case .noProjectConfig(let commit):
            commit.map { "commit \($0.prefix(12)) has no \(ProjectConfig.path)" } ?? "there is no \(ProjectConfig.path) here"
        case .untrustedCommands(let commands, let commit):
            (commands.allSatisfy(\.command.fromTaskRecord) ? "the task's records ask"
                : (commit.map { "\($0.prefix(12)):" } ?? "") + ProjectConfig.path + (commands.contains(where: \.command.fromTaskRecord) ? " and the task's records ask" : " asks"))
                + " to run commands you have not approved:" + commands.map { "\n    \($0)" }.joined()
        case .selfReview(let gate, let agent):
            "gate '\(gate.quotedInMessage)' would have the agent that does the work ('\(agent.quotedInMessage)') review it"
        case .gateProgramMissing(let gate, let program):
            "gate '\(gate.quotedInMessage)' runs '\(program.quotedInMessage)', which is not on PATH"
        }
    }
}
