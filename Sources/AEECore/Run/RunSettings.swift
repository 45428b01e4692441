/// What the person starting a run asked for on the command line.
public struct RunOptions: Sendable {
    /// The agent (`--agent`): a built-in agent's name or a command, above `git config aee.agent` and `.aee/config.json`.
    public var agent: String?
    /// The model a built-in agent uses (`--model`), above `git config aee.model` and `agent.model`.
    public var model: String?
    /// Run in the user's working tree instead of a workspace of the task's own.
    public var here: Bool
    /// Fast-forward the branch the task started from when it succeeds.
    public var merge: Bool
    /// A wall-clock limit for the run (`--timeout`), above `task_timeout_seconds`.
    public var timeoutSeconds: Int?
    /// The remote the task is shared through (`--remote`): the claim and every commit are pushed there.
    public var remote: String?
    /// The agent the task's last run was started with (from its records), used unless `--agent` names another.
    public var rememberedAgent: RememberedAgent?
    /// How many work items may run at once (`--jobs`), above `git config aee.jobs`.
    public var jobs: Int?
    /// Whether a work item that fails stops the items running beside it (`--fail-fast=kill`) rather than letting them finish.
    public var killOnFailure = false
    /// How many attempts each iteration runs side by side (`--attempts`), the first that passes the gates winning.
    public var attempts: Int?
    /// The agent of each of those attempts (`--agents a,b,c`), instead of the run's agent for all.
    public var attemptAgents: [String]?

    public init(agent: String? = nil, model: String? = nil, here: Bool = false, merge: Bool = false, timeoutSeconds: Int? = nil, remote: String? = nil,
                rememberedAgent: RememberedAgent? = nil) {
        self.agent = agent
        self.model = model
        self.rememberedAgent = rememberedAgent
        self.here = here
        self.merge = merge
        self.timeoutSeconds = timeoutSeconds
        self.remote = remote
    }
}

/// Where a run's agent command came from.
enum AgentSource {
    /// `--agent` or `git config aee.agent`: the user's own, trusted.
    case user
    /// `.aee/config.json`.
    case projectConfig
    /// The task's records: the agent its last run was started with, perhaps on another clone.
    case taskRecord
}

/// The agent a task's last run was started (or resumed) with, as its records say.
public struct RememberedAgent: Sendable, Equatable {
    /// A built-in agent's name, or a command.
    public let agent: String
    public let model: String?
}

/// Everything a run needs from configuration, resolved once before the task is touched.
struct RunSettings {
    let agent: AgentChoice
    /// How the agent is started.
    let agentProgram: AgentDriver.Program
    /// The agents `.aee/config.json` names for particular stages; the others have `agent`.
    var roles: [AgentStage: StageAgent]
    /// Where the agent command came from: one from the repository (`.aee/config.json`, or a task's records, which
    /// arrive by fetch from other clones) runs only once the user approved it.
    let agentSource: AgentSource
    /// Whether the built-in agent runs with arguments from `.aee/config.json`, which need approval whoever named the
    /// agent (they can start programs).
    let agentTakesTeamArguments: Bool
    let agentTimeoutSeconds: Double
    let maxAgentFailures: Int
    let stallLimit: Int
    let taskTimeoutSeconds: Double?
    let requirePlanApproval: Bool
    let catalog: GateCatalog
    /// How long a run on a shared remote may go without renewing its lease before another worker takes over.
    let leaseSeconds: Int
    /// The repository's commit hooks, which judge each work item's commit; nil with `aee.commitHooks=false`.
    let commitHooks: CommitHooks?
    /// How many work items whose dependencies are done may run at once, each in a workspace of its own (one in an
    /// attempt that runs beside others).
    var jobs: Int
    /// The agent of each attempt an iteration runs side by side (`--attempts`, `--agents`); one, the run's agent,
    /// unless asked for more.
    let candidates: [StageAgent]
    /// Whether the attempts' agents were named (`--agents`): each plans and executes its own attempt, whatever
    /// `.aee/config.json` names for those stages.
    let attemptsNameAgents: Bool
}

extension Workspace {
    /// Resolves the agent and limits: flags, then `git config aee.*`, then `.aee/config.json`. Refuses, before
    /// anything is written, when there is no agent or its program cannot be found.
    func runSettings(_ options: RunOptions) throws -> RunSettings {
        let root = try workingDirectory(for: options.here ? "run --here" : "run")
        let config = try projectConfig()
        let personalAgent = try personalAgent(options.agent)
        let source: AgentSource
        let text: String?
        if let flag = options.agent {
            (source, text) = (.user, flag)
        } else if let remembered = options.rememberedAgent {
            (source, text) = (remembered.agent == personalAgent ? .user : .taskRecord, remembered.agent)
        } else if let personalAgent {
            (source, text) = (.user, personalAgent)
        } else if let first = options.attemptAgents?.first, config?.agent.choice == nil {
            // `--agents` alone: the first is the run's agent (the one its records name).
            (source, text) = (.user, first)
        } else {
            (source, text) = (.projectConfig, config?.agent.kind ?? config?.agent.command)
        }
        guard let text, !text.trimmingWhitespace.isEmpty else { throw AgentError.noAgent }
        // A model goes with the agent it was chosen for: the task's remembered one with the agent it ran, `aee.model`
        // with `aee.agent` (or any, when that is unset), the team's with the team's built-in agent.
        let team = config?.agent.kind == text.trimmingWhitespace ? config?.agent : nil
        let remembered = options.rememberedAgent.flatMap { $0.agent == text ? $0.model : nil }
        let configuredAgent = try settings.string("aee.agent")
        let personal = configuredAgent == nil || configuredAgent == text ? try settings.string("aee.model") : nil
        let agent = AgentChoice(text, model: options.model ?? remembered ?? personal ?? team?.model, arguments: team?.args ?? [])
        if case .command(let command) = agent {
            if options.model != nil { throw AgentError.modelForCommand(command) }
            if let meant = BuiltInAgent.meant(by: command) { throw AgentError.builtInMisnamed(command, meant: meant.rawValue) }
        }
        let prices = ModelPrices(overrides: config?.agent.prices ?? [:])
        let program = try self.program(for: agent, root: root, prices: prices)
        var roles: [AgentStage: StageAgent] = [:]
        for stage in AgentStage.allCases {
            guard let role = config?.agent.role(for: stage) else { continue }
            roles[stage] = StageAgent(choice: role.choice, program: try self.program(for: role.choice, root: root, prices: prices))
        }
        var candidates = [StageAgent(choice: agent, program: program)]
        if let agents = options.attemptAgents {
            // The user's own agents, named on the command line: trusted as `--agent` is.
            candidates = try agents.map { text in
                let choice = AgentChoice(text, model: options.model, arguments: [])
                return StageAgent(choice: choice, program: try self.program(for: choice, root: root, prices: prices))
            }
        } else if let attempts = options.attempts {
            candidates = Array(repeating: candidates[0], count: attempts)
        }
        if candidates.count > 1, options.remote != nil { throw RunError.attemptsWith("--remote") }
        if candidates.count > 1, options.here { throw RunError.attemptsWith("--here") }
        if let timeout = options.timeoutSeconds, timeout < 1 {
            throw ConfigError.invalidSetting(key: "--timeout", value: String(timeout), expected: "a whole number of seconds, 1 or more")
        }
        return RunSettings(
            agent: agent,
            agentProgram: program,
            roles: roles,
            agentSource: source,
            agentTakesTeamArguments: !(team?.args ?? []).isEmpty,
            agentTimeoutSeconds: Double(try settings.int("aee.agentTimeout", in: 1...(7 * 86_400)) ?? config?.agent.timeoutSeconds ?? ProjectConfig.AgentSettings.defaultTimeoutSeconds),
            maxAgentFailures: config?.agent.maxFailures ?? ProjectConfig.AgentSettings.defaultMaxFailures,
            stallLimit: config?.stallLimit ?? ProjectConfig.defaultStallLimit,
            taskTimeoutSeconds: (options.timeoutSeconds ?? config?.taskTimeoutSeconds).map(Double.init),
            requirePlanApproval: config?.requirePlanApproval ?? false,
            catalog: try GateCatalog(config: config, settings: settings),
            leaseSeconds: try settings.int("aee.leaseSeconds", in: 3...86_400) ?? Lease.defaultSeconds,
            commitHooks: try commitHooks(),
            jobs: try options.jobs ?? settings.int("aee.jobs", in: 1...Self.maxJobs) ?? 1,
            candidates: candidates,
            attemptsNameAgents: options.attemptAgents != nil)
    }

    /// Most work items one run may have running at once.
    public static let maxJobs = 16
    /// Most attempts one iteration may run side by side.
    public static let maxAttempts = 8
}

extension Workspace {
    /// How `agent` is started: a built-in agent's CLI found on PATH (told a model where it needs one), or a command
    /// whose program exists.
    private func program(for agent: AgentChoice, root: String, prices: ModelPrices) throws -> AgentDriver.Program {
        let path = environment["PATH"] ?? ""
        switch agent {
        case .builtIn(let builtIn, let model, let arguments):
            let cli = builtIn.cli
            guard let found = ShellCommand.locate(cli.program, path: path) else {
                throw AgentError.notInstalled(agent: builtIn.rawValue, program: cli.program, hint: cli.installHint)
            }
            if model == nil, !cli.namesModel(arguments: arguments, environment: environment, root: root) {
                throw AgentError.needsModel(agent: builtIn.rawValue)
            }
            return .builtIn(cli, path: found, model: model, arguments: arguments, prices: prices)
        case .command(let command):
            if let found = ShellCommand.problem(in: command, root: root, path: path, home: environment["HOME"]) {
                throw AgentError.notFound(found.program)
            }
            return .command(command)
        }
    }
}

extension Workspace {
    /// The agent the task's last run was started (or resumed) with, as its records say; nil before any run.
    public func rememberedAgent(of id: TaskID) throws -> RememberedAgent? {
        return try doing("read the agent task \(id) ran with") {
            let claim = RunStory(try store.events(of: id)).claim?.0
            return claim?.agent.map { RememberedAgent(agent: $0, model: claim?.model) }
        }
    }

    /// The agent command the user gave (`--agent`, else `git config aee.agent`), which replaces the team's and needs
    /// no approval; nil when the team's from `.aee/config.json` is the one that runs.
    func personalAgent(_ flag: String?) throws -> String? {
        try flag ?? settings.string("aee.agent")
    }
}

/// The agent of one stage, and how it is started.
struct StageAgent {
    let choice: AgentChoice
    let program: AgentDriver.Program
}

extension RunSettings {
    /// The agent that serves `stage`: its own (`agent.plan`, ...), else the run's.
    func agent(for stage: AgentStage) -> AgentChoice { roles[stage]?.choice ?? agent }

    /// Refuses a review gate in `plan` whose reviewing agent is one that executes (the run's, or an attempt's named
    /// with `--agents`), unless it allows that.
    func refuseSelfReview(_ plan: [Gate]) throws {
        guard let gate = plan.first(where: { $0.definition.isReview && $0.definition.allowSelfReview != true }) else { return }
        let executing = attemptsNameAgents ? candidates.map(\.choice) : [agent(for: .execute)]
        if let same = executing.first(where: { $0 == agent(for: .review) }) {
            throw ConfigError.selfReview(gate: gate.name, agent: same.name)
        }
    }

    /// The settings of an attempt run beside others by `candidate`: one work item at a time (the workspaces beside
    /// the task's are the attempts'); an agent named with `--agents` plans and executes, and the run's reviewer
    /// (the stage's, else the run's agent) reviews, as `refuseSelfReview` judged.
    func attempt(by candidate: StageAgent) -> RunSettings {
        var settings = self
        settings.jobs = 1
        if attemptsNameAgents {
            settings.roles[.review] = roles[.review] ?? StageAgent(choice: agent, program: agentProgram)
            settings.roles[.plan] = nil
            settings.roles[.execute] = nil
        }
        return settings
    }

    /// The model a built-in agent was told to use, for the records.
    var model: String? {
        if case .builtIn(_, let model, _) = agent { return model }
        return nil
    }

    /// Whether the agent runs as the user's own: named by them, with nothing from the repository added.
    var agentIsTrusted: Bool { agentSource == .user && !agentTakesTeamArguments }

    /// The commands from the repository a run with the gates of `plan` would start.
    func projectCommands(gates plan: [Gate]) -> [ProjectCommand] {
        let agent = agentIsTrusted ? nil : self.agent.approvable.map { ProjectCommand.agent($0, fromTaskRecord: agentSource == .taskRecord) }
        // The stages' own agents come from .aee/config.json: approved like its agent. The reviewer runs only for a review gate.
        let stages = AgentStage.allCases.filter { $0 != .review || plan.contains { $0.definition.isReview } }
        let stageAgents = stages.compactMap { stage in self.roles[stage]?.choice.approvable.map { ProjectCommand.agent($0, stage: stage) } }
        return (agent.map { [$0] } ?? []) + stageAgents + catalog.projectCommands(of: plan)
    }
}

extension Workspace {
    /// The attempt branches of task `id` that its branch's history does not hold: attempts a run left unfinished
    /// (canceled, interrupted, stopped by an error), kept with what they committed.
    public func unfinishedAttempts(of id: TaskID) throws -> [String] {
        return try doing("read task \(id)'s attempt branches") {
            let tip = try repository.resolveReference(id.branch)
            return try repository.references(matching: id.branch + "-attempt-*").filter { attempt in
                try tip.map { try !repository.isAncestor(attempt.target, of: $0) } ?? true
            }.map { String($0.name.dropFirst("refs/heads/".count)) }.sorted()
        }
    }
}
