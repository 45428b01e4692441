/// Why a built-in agent's call failed, as far as its output tells.
public struct AgentFailure: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// The CLI refused its command line (a flag this version does not have): calling again cannot help.
        case usage
        /// The model's API could not be reached or refused the credentials: calling again now cannot help either
        /// (a rate limit, an overload or a dropped stream is not this: it is `agent`, tried again).
        case api
        /// The CLI stopped itself at the budget git aee passed it: the task is over budget.
        case budget
        /// The agent gave up or erred in some other way; the next iteration may do better.
        case agent
    }

    public var kind: Kind
    /// In the CLI's own words.
    public var message: String

    /// Whether the run stops at once (exit reason `agent_error`) instead of trying again.
    var isFinal: Bool { kind == .usage || kind == .api }

    /// A CLI's error about its model's API: `api` when the key was refused or the endpoint cannot be reached at all,
    /// else `agent` (rate limits, overloads and dropped streams pass; the next iteration tries again).
    static func fromAPI(_ message: String) -> AgentFailure {
        let lowered = message.lowercased()
        // A key that is not there at all is the commonest first-run mistake: no call can do better either.
        let refused = ["401", "403", "unauthorized", "forbidden", "invalid api key", "invalid x-api-key", "authentication", "/login",
                       "missing environment variable", "missing credentials", "api_key client option must be set", "no api key"]
        let unreachable = ["connection refused", "econnrefused", "enotfound", "error sending request", "connection error", "unable to connect",
                           "connection failed", "name or service not known"]
        return AgentFailure(kind: (refused + unreachable).contains { lowered.contains($0) } ? .api : .agent, message: message)
    }
}
