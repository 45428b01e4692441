import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The team's configuration, committed as `.aee/config.json`.
public struct ProjectConfig: Codable, Equatable, Sendable {
    public static let path = ".aee/config.json"
    public static let currentVersion = 1
    public static let defaultMaxIterations = 20
    public static let maxIterationsRange = 1...1000

    public var version: Int
    public var agent: AgentSettings
    public var gates: [String: GateDefinition]
    public var defaultGates: [String]
    /// The gates the pre-push hook runs; nil means `defaultGates`.
    public var prePushGates: [String]?
    public var maxIterations: Int
    public var runMode: RunMode
    /// Failed iterations in a row with the same failure after which a run stops as `stalled`.
    public var stallLimit: Int
    /// A wall-clock limit for one run of a task; nil: none.
    public var taskTimeoutSeconds: Int?
    /// Whether a human must approve each plan: asked in interactive mode, blocking in autonomous mode.
    public var requirePlanApproval: Bool
    public static let defaultStallLimit = 3

    /// How the coding agent is run: a built-in agent by `kind`, or a shell `command` under the generic contract.
    public struct AgentSettings: Codable, Equatable, Sendable {
        /// A shell command; nil until the team picks an agent (or picks a built-in one by `kind`).
        @ExplicitNull public var command: String?
        /// A built-in agent (`claude-code`, `codex`, `aider`, `mini-swe-agent`).
        public var kind: String?
        /// The model a built-in agent is told to use.
        public var model: String?
        /// Arguments added to a built-in agent's command line.
        public var args: [String]?
        /// Prices per model for agents that report tokens but no cost.
        public var prices: [String: TokenPrice]?
        public var timeoutSeconds: Int
        /// Agent calls that may fail in one run before it stops with `agent_error`.
        public var maxFailures: Int
        /// The agents of particular stages (`agent.plan`, `agent.execute`, `agent.review`): a strong model to plan,
        /// a cheaper one to execute, another to review. A stage without one has the run's agent.
        public var plan: AgentRole?
        public var execute: AgentRole?
        public var review: AgentRole?

        /// The agent `.aee/config.json` names for `stage`, if it names one.
        func role(for stage: AgentStage) -> AgentRole? {
            switch stage {
            case .plan: plan
            case .execute: execute
            case .review: review
            }
        }

        public static let defaultTimeoutSeconds = 1800
        public static let defaultMaxFailures = 3

        public init(command: String?, timeoutSeconds: Int = defaultTimeoutSeconds, maxFailures: Int = defaultMaxFailures) {
            self.command = command
            self.timeoutSeconds = timeoutSeconds
            self.maxFailures = maxFailures
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case command, kind, model, args, prices, plan, execute, review
            case timeoutSeconds = "timeout_seconds"
            case maxFailures = "max_failures"
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // The whole path (`agent.timeout_seconds`), as a gate's error gives it.
            func fail(_ key: CodingKeys, _ reason: String) -> DecodingError {
                DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [key], debugDescription: reason))
            }
            (command, kind, model, args) = try AgentRole.naming(in: container, (.command, .kind, .model, .args), fail: fail)
            prices = try container.decodeIfPresent([String: TokenPrice].self, forKey: .prices)
            timeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds) ?? Self.defaultTimeoutSeconds
            maxFailures = try container.decodeIfPresent(Int.self, forKey: .maxFailures) ?? Self.defaultMaxFailures
            plan = try container.decodeIfPresent(AgentRole.self, forKey: .plan)
            execute = try container.decodeIfPresent(AgentRole.self, forKey: .execute)
            review = try container.decodeIfPresent(AgentRole.self, forKey: .review)
            if kind != nil, command != nil { throw fail(.kind, "give either a kind or a command, not both") }
            // The same bounds as `aee.agentTimeout`: a week at most.
            if !(1...(7 * 86_400)).contains(timeoutSeconds) { throw fail(.timeoutSeconds, "expected 1 to 604800 seconds (a week)") }
            if maxFailures < 1 { throw fail(.maxFailures, "expected 1 or more") }
        }
    }

    /// The agent of one stage: a built-in agent's name or a command (`"agent": {"plan": "claude-code"}`), or an
    /// object with `kind` (a built-in agent, with its `model` and `args`) or `command`.
    public struct AgentRole: Codable, Equatable, Sendable {
        public var command: String?
        public var kind: String?
        public var model: String?
        public var args: [String]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case command, kind, model, args
        }

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                if BuiltInAgent(rawValue: text) != nil { kind = text } else { command = text }
                if text.trimmingWhitespace.isEmpty {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "the command is empty"))
                }
                return
            }
            try decoder.rejectUnknownKeys(CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func fail(_ key: CodingKeys?, _ reason: String) -> DecodingError {
                DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + (key.map { [$0] } ?? []), debugDescription: reason))
            }
            (command, kind, model, args) = try Self.naming(in: container, (.command, .kind, .model, .args), fail: fail)
            if (kind == nil) == (command == nil) { throw fail(nil, "give either a kind (a built-in agent) or a command") }
            if command?.trimmingWhitespace.isEmpty == true { throw fail(.command, "the command is empty") }
        }

        /// How an agent is named, in `agent` and a stage's agent alike: `command`, or `kind` (a built-in agent) with
        /// its `model` and `args`; refused when the kind is no built-in agent, or a model or args come without one.
        static func naming<Key: CodingKey>(in container: KeyedDecodingContainer<Key>, _ keys: (command: Key, kind: Key, model: Key, args: Key),
                                           fail: (Key, String) -> DecodingError) throws -> (String?, String?, String?, [String]?) {
            let command = try container.decodeIfPresent(String.self, forKey: keys.command)
            let kind = try container.decodeIfPresent(String.self, forKey: keys.kind)
            let model = try container.decodeIfPresent(String.self, forKey: keys.model)
            let args = try container.decodeIfPresent([String].self, forKey: keys.args)
            if let kind, BuiltInAgent(rawValue: kind) == nil {
                throw fail(keys.kind, "expected one of " + BuiltInAgent.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if kind == nil, model != nil || args != nil { throw fail(model != nil ? keys.model : keys.args, "only a built-in agent (kind) takes it") }
            return (command, kind, model, args)
        }

        var choice: AgentChoice {
            if let kind { return AgentChoice(kind, model: model, arguments: args ?? []) }
            return .command(command ?? "")
        }
    }

    public init(agent: AgentSettings, gates: [String: GateDefinition], defaultGates: [String], maxIterations: Int = defaultMaxIterations, runMode: RunMode = .autonomous) {
        version = Self.currentVersion
        self.agent = agent
        self.gates = gates
        self.defaultGates = defaultGates
        prePushGates = nil
        self.maxIterations = maxIterations
        self.runMode = runMode
        stallLimit = Self.defaultStallLimit
        taskTimeoutSeconds = nil
        requirePlanApproval = false
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, agent, gates
        case defaultGates = "default_gates"
        case prePushGates = "pre_push_gates"
        case maxIterations = "max_iterations"
        case runMode = "run_mode"
        case stallLimit = "stall_limit"
        case taskTimeoutSeconds = "task_timeout_seconds"
        case requirePlanApproval = "require_plan_approval"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        guard version == Self.currentVersion else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.version], debugDescription: "this git-aee reads version \(Self.currentVersion); upgrade git-aee to read version \(version)"))
        }
        agent = try container.decodeIfPresent(AgentSettings.self, forKey: .agent) ?? AgentSettings(command: nil)
        gates = try container.decodeIfPresent([String: GateDefinition].self, forKey: .gates) ?? [:]
        defaultGates = try container.decodeIfPresent([String].self, forKey: .defaultGates) ?? []
        prePushGates = try container.decodeIfPresent([String].self, forKey: .prePushGates)
        maxIterations = try container.decodeIfPresent(Int.self, forKey: .maxIterations) ?? Self.defaultMaxIterations
        runMode = try container.decodeIfPresent(RunMode.self, forKey: .runMode) ?? .autonomous
        stallLimit = try container.decodeIfPresent(Int.self, forKey: .stallLimit) ?? Self.defaultStallLimit
        taskTimeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .taskTimeoutSeconds)
        requirePlanApproval = try container.decodeIfPresent(Bool.self, forKey: .requirePlanApproval) ?? false
        try validate()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(agent, forKey: .agent)
        try container.encode(gates, forKey: .gates)
        try container.encode(defaultGates, forKey: .defaultGates)
        try container.encodeIfPresent(prePushGates, forKey: .prePushGates)
        try container.encode(maxIterations, forKey: .maxIterations)
        try container.encode(runMode, forKey: .runMode)
        try container.encode(stallLimit, forKey: .stallLimit)
        try container.encodeIfPresent(taskTimeoutSeconds, forKey: .taskTimeoutSeconds)
        try container.encode(requirePlanApproval, forKey: .requirePlanApproval)
    }

    /// The names a gate may be called by: they appear in paths, trailers and git config keys.
    public static func isValidGateName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64, (0x61...0x7A).contains(first) || (0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    private func validate() throws {
        func fail(_ path: [any CodingKey], _ reason: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: reason))
        }
        if let bad = gates.keys.sorted().first(where: { !Self.isValidGateName($0) }) {
            throw fail([CodingKeys.gates, AnyCodingKey(stringValue: bad)], "a gate name is lowercase letters, digits, '-' and '_'")
        }
        let known = Set(gates.keys).union(GateDefinition.builtins)
        for (key, list) in [(CodingKeys.defaultGates, defaultGates), (CodingKeys.prePushGates, prePushGates ?? [])] {
            if let unknown = list.first(where: { !known.contains($0) }) {
                throw fail([key], "names the unknown gate '\(unknown.quotedInMessage)'")
            }
        }
        for name in gates.keys.sorted() {
            if let unknown = gates[name]!.needs.first(where: { !known.contains($0) }) {
                throw fail([CodingKeys.gates, AnyCodingKey(stringValue: name), GateDefinition.CodingKeys.needs], "names the unknown gate '\(unknown.quotedInMessage)'")
            }
        }
        if !Self.maxIterationsRange.contains(maxIterations) {
            throw fail([CodingKeys.maxIterations], "expected 1 to \(Self.maxIterationsRange.upperBound)")
        }
        if stallLimit < 2 { throw fail([CodingKeys.stallLimit], "expected 2 or more") }
        if let taskTimeoutSeconds, taskTimeoutSeconds < 1 { throw fail([CodingKeys.taskTimeoutSeconds], "expected 1 second or more") }
    }

    /// Reads the config from a working tree; nil when the file does not exist.
    /// The config `commit` holds, or nil when it has none; errors name the file as `<commit>:.aee/config.json`.
    static func load(commit: OID, in repository: Repository) throws -> ProjectConfig? {
        guard let bytes = try repository.blob(at: path, inTree: try repository.commit(commit).tree) else { return nil }
        return try JSONInput.decode(ProjectConfig.self, from: bytes, file: "\(commit.hex.prefix(12)):\(path)", strict: true)
    }

    public static func load(workingDirectory: String) throws -> ProjectConfig? {
        let file = workingDirectory + path
        guard let data = FileManager.default.contents(atPath: file) else {
            if FileManager.default.fileExists(atPath: file) { throw RepositoryError.fileSystem(path: path, reason: "cannot be read") }
            return nil
        }
        return try JSONInput.decode(ProjectConfig.self, from: Array(data), file: path, strict: true)
    }
}
