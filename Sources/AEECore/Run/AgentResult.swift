/// What an agent reported it spent; summed per iteration and per task.
public struct Usage: Codable, Equatable, Sendable {
    public var costUSD: Double
    public var turns: Int

    public static let zero = Usage(costUSD: 0, turns: 0)

    public init(costUSD: Double, turns: Int) {
        self.costUSD = costUSD
        self.turns = turns
    }

    static func + (lhs: Usage, rhs: Usage) -> Usage {
        Usage(costUSD: lhs.costUSD + rhs.costUSD, turns: lhs.turns + rhs.turns)
    }

    enum CodingKeys: String, CodingKey {
        case costUSD = "cost_usd"
        case turns
    }
}

/// The plan an agent may write to `AEE_OUTPUT_FILE` at the plan stage. Unknown keys are ignored: agents vary.
struct PlanResult: Decodable {
    struct Item: Decodable {
        var id: String?
        var title: String
        var description: String?
    }

    var summary: String?
    var workItems: [Item]?
    var costUSD: Double?
    var turns: Int?

    enum CodingKeys: String, CodingKey {
        case summary
        case workItems = "work_items"
        case costUSD = "cost_usd"
        case turns
    }
}

/// What an agent may write to `AEE_OUTPUT_FILE` at the execute stage. `files_changed` is not read: what changed is
/// measured from git.
struct ExecutionResult: Decodable {
    var commandsRun: [String]?
    var testsRun: [String]?
    var evidence: [String]?
    var handoffNotes: String?
    var costUSD: Double?
    var turns: Int?

    enum CodingKeys: String, CodingKey {
        case commandsRun = "commands_run"
        case testsRun = "tests_run"
        case evidence
        case handoffNotes = "handoff_notes"
        case costUSD = "cost_usd"
        case turns
    }
}

extension Usage {
    /// Usage as an agent reported it; negative or absurd figures count as nothing.
    init(costUSD: Double?, turns: Int?) {
        let cost = costUSD.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } ?? 0
        self.init(costUSD: cost, turns: max(0, turns ?? 0))
    }
}
