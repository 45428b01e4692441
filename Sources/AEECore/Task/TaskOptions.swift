/// What a user asked for when creating a task; unset values come from `git config aee.*`, then `.aee/config.json`, then defaults.
public struct TaskOptions: Sendable {
    public var gates: [String] = []
    public var maxIterations: Int?
    public var runMode: RunMode?
    public var retry: RetryStrategy
    public var maxCostUSD: Double?

    public init(gates: [String] = [], maxIterations: Int? = nil, runMode: RunMode? = nil, retry: RetryStrategy = .continue, maxCostUSD: Double? = nil) {
        self.gates = gates
        self.maxIterations = maxIterations
        self.runMode = runMode
        self.retry = retry
        self.maxCostUSD = maxCostUSD
    }

    func metadata(config: ProjectConfig?, settings: Settings) throws -> TaskMetadata {
        let catalog = try GateCatalog(config: config, settings: settings)
        if let unknown = gates.first(where: { catalog.gates[$0] == nil }) {
            throw ConfigError.unknownGate(unknown, known: catalog.gates.keys.sorted())
        }
        if let maxIterations, !ProjectConfig.maxIterationsRange.contains(maxIterations) {
            throw ConfigError.invalidSetting(key: "--max-iterations", value: String(maxIterations), expected: "a whole number from 1 to \(ProjectConfig.maxIterationsRange.upperBound)")
        }
        if let maxCostUSD, !(maxCostUSD.isFinite && maxCostUSD >= 0) {
            throw ConfigError.invalidSetting(key: "--max-cost", value: String(maxCostUSD), expected: "an amount in US dollars, 0 or more")
        }
        let configuredMode = try settings.string("aee.runMode").map { text in
            guard let mode = RunMode(rawValue: text) else {
                throw ConfigError.invalidSetting(key: "aee.runMode", value: text, expected: "autonomous or interactive")
            }
            return mode
        }
        return TaskMetadata(
            gates: gates.isEmpty ? catalog.defaultGates : gates.uniqued(),
            maxIterations: try maxIterations
                ?? settings.int("aee.maxIterations", in: ProjectConfig.maxIterationsRange)
                ?? config?.maxIterations
                ?? ProjectConfig.defaultMaxIterations,
            runMode: runMode ?? configuredMode ?? config?.runMode ?? .autonomous,
            retry: retry,
            maxCostUSD: maxCostUSD)
    }

}

extension Array where Element: Hashable {
    var nonEmpty: Self? { isEmpty ? nil : self }

    func uniqued() -> Self {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
