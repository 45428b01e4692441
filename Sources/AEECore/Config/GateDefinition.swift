/// One gate as the team defines it in `.aee/config.json`: a command, or a built-in (`doctor`, `review`).
public struct GateDefinition: Codable, Equatable, Sendable {
    /// A shell command, run through `/bin/sh -c` in the tree being judged.
    public var run: String?
    /// The name of a built-in check instead of a command: `doctor`, or `review` (the attempt's change judged by the
    /// agent of `agent.review`).
    public var builtin: String?
    /// For a review gate: whether the agent that executes may review its own work (nil: it may not).
    public var allowSelfReview: Bool?
    public var timeoutSeconds: Int
    /// Gates that must pass before this one runs.
    public var needs: [String]
    public var env: [String: String]

    public static let builtins = ["doctor", "review"]

    /// Whether this is a review gate.
    public var isReview: Bool { builtin == "review" }
    public static let defaultTimeoutSeconds = 600

    public init(run: String? = nil, builtin: String? = nil, timeoutSeconds: Int = defaultTimeoutSeconds, needs: [String] = [], env: [String: String] = [:]) {
        self.run = run
        self.builtin = builtin
        self.timeoutSeconds = timeoutSeconds
        self.needs = needs
        self.env = env
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case run, builtin, needs, env
        case timeoutSeconds = "timeout_seconds"
        case allowSelfReview = "allow_self_review"
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        run = try container.decodeIfPresent(String.self, forKey: .run)
        builtin = try container.decodeIfPresent(String.self, forKey: .builtin)
        timeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds) ?? Self.defaultTimeoutSeconds
        needs = try container.decodeIfPresent([String].self, forKey: .needs) ?? []
        env = try container.decodeIfPresent([String: String].self, forKey: .env) ?? [:]
        allowSelfReview = try container.decodeIfPresent(Bool.self, forKey: .allowSelfReview)
        if allowSelfReview != nil, builtin != "review" {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.allowSelfReview], debugDescription: "only a review gate (builtin 'review') takes it"))
        }
        if (run == nil) == (builtin == nil) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "give either 'run' (a command) or 'builtin' (one of: \(Self.builtins.joined(separator: ", ")))"))
        }
        if let builtin, !Self.builtins.contains(builtin) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.builtin], debugDescription: "no built-in gate '\(builtin.quotedInMessage)' (built-ins: \(Self.builtins.joined(separator: ", ")))"))
        }
        if run?.trimmingWhitespace.isEmpty == true {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.run], debugDescription: "the command is empty"))
        }
        if !(1...86_400).contains(timeoutSeconds) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.timeoutSeconds], debugDescription: "expected 1 to 86400 seconds"))
        }
    }
}
