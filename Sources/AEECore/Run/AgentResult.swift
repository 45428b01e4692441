#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What agents reported they used: cost in US dollars (an exact decimal, so sums come out as the figures added up)
/// and model turns. A figure no agent reported is unknown (`null`), never taken for zero.
public struct Usage: Codable, Equatable, Sendable {
    @ExplicitNull public var costUSD: Decimal?
    @ExplicitNull public var turns: Int?

    public static let unknown = Usage(costUSD: nil, turns: nil)

    public init(costUSD: Decimal?, turns: Int?) {
        self.costUSD = costUSD
        self.turns = turns
    }

    /// The known figures added up; unknown only where both sides are.
    static func + (lhs: Usage, rhs: Usage) -> Usage {
        func sum<T: AdditiveArithmetic>(_ a: T?, _ b: T?) -> T? { a.map { $0 + (b ?? .zero) } ?? b }
        return Usage(costUSD: sum(lhs.costUSD, rhs.costUSD), turns: sum(lhs.turns, rhs.turns))
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
        /// Ids of earlier items this one needs done first; a single id is read as a list of one.
        var dependsOn: [String]?

        enum CodingKeys: String, CodingKey {
            case id, title, description
            case dependsOn = "depends_on"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(String.self, forKey: .id)
            title = try container.decode(String.self, forKey: .title)
            description = try container.decodeIfPresent(String.self, forKey: .description)
            if let one = try? container.decodeIfPresent(String.self, forKey: .dependsOn) {
                dependsOn = [one]
            } else {
                dependsOn = try container.decodeIfPresent([String].self, forKey: .dependsOn)
            }
        }
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
    /// Usage as an agent reported it; negative or absurd figures are unknown. A cost is taken to the 1e-12 dollar:
    /// a CLI that adds prices up in binary floating point reports 0.39751200000000003 for 0.397512.
    init(reportedCost costUSD: Double?, turns: Int?) {
        self.init(costUSD: costUSD.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e12 ? Self.exactCost($0) : nil },
                  turns: turns.flatMap { $0 >= 0 ? $0 : nil })
    }

    /// `cost` as the decimal it reads as, rounded half up to 12 decimals.
    static func exactCost(_ cost: Double) -> Decimal? {
        let text = String(cost)
        guard !text.contains("e"), let point = text.firstIndex(of: "."), text.distance(from: point, to: text.endIndex) > 13 else {
            return Decimal(string: text)
        }
        let kept = text.index(point, offsetBy: 13)
        guard let rounded = Decimal(string: String(text[..<kept])) else { return nil }
        return text[kept] >= "5" ? rounded + Decimal(string: "0.000000000001")! : rounded
    }
}

extension Decimal {
    /// An amount of money for people (sums stay exact; only the display rounds).
    public var dollars: String { (Double(description) ?? 0).dollars }
}

extension Double {
    /// An amount of money for people: in cents, or, under a cent, with the decimals it needs (at most twelve), so a
    /// budget of $0.0001 does not read as $0.00, nor a cost of $0.0000003 as $0.
    public var dollars: String {
        guard self != 0, abs(self) < 0.01 else { return formatted(decimals: 2) }
        let text = formatted(decimals: 12)
        return String(text.prefix(through: text.lastIndex { $0 != "0" && $0 != "." } ?? text.index(text.startIndex, offsetBy: 3)))
    }
}
