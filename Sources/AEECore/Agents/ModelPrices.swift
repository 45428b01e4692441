#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// US dollars per million tokens, for CLIs that report tokens but no cost (Codex): git aee prices them itself.
public struct TokenPrice: Codable, Equatable, Sendable {
    public var inputPerMillion: Decimal
    /// Input tokens served from the provider's prompt cache; nil: priced as input.
    public var cachedInputPerMillion: Decimal?
    public var outputPerMillion: Decimal

    public init(input: Decimal, cachedInput: Decimal? = nil, output: Decimal) {
        inputPerMillion = input
        cachedInputPerMillion = cachedInput
        outputPerMillion = output
    }

    enum CodingKeys: String, CodingKey {
        case inputPerMillion = "input_usd_per_mtok"
        case cachedInputPerMillion = "cached_input_usd_per_mtok"
        case outputPerMillion = "output_usd_per_mtok"
    }
}

/// Prices by model: the defaults below, with `agent.prices` in `.aee/config.json` over them.
public struct ModelPrices: Sendable, Equatable {
    /// The providers' list prices as of 2026-11 (docs/agents.md#cost), for the models Codex uses by default.
    static let defaults: [String: TokenPrice] = [
        "gpt-5.5": TokenPrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5": TokenPrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5-codex": TokenPrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5.1": TokenPrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5.1-codex": TokenPrice(input: 1.25, cachedInput: 0.125, output: 10),
        "gpt-5.1-codex-mini": TokenPrice(input: 0.25, cachedInput: 0.025, output: 2),
        "gpt-5-mini": TokenPrice(input: 0.25, cachedInput: 0.025, output: 2),
        "o4-mini": TokenPrice(input: 1.1, cachedInput: 0.275, output: 4.4),
        "gpt-4.1": TokenPrice(input: 2, cachedInput: 0.5, output: 8),
    ]

    var overrides: [String: TokenPrice]

    public init(overrides: [String: TokenPrice] = [:]) { self.overrides = overrides }

    /// The cost of a call's tokens on `model`; nil when the model has no known price.
    func cost(model: String, input: Int, cachedInput: Int, output: Int) -> Decimal? {
        guard let price = overrides[model] ?? Self.defaults[model] else { return nil }
        let cached = min(max(cachedInput, 0), input)
        let total = Decimal(input - cached) * price.inputPerMillion + Decimal(cached) * (price.cachedInputPerMillion ?? price.inputPerMillion)
            + Decimal(output) * price.outputPerMillion
        return total / 1_000_000
    }
}
