/// What one gate said about one tree.
public struct GateResult: Encodable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case passed, failed, skipped
        case timedOut = "timed_out"
    }

    public var gate: String
    public var command: String
    /// The tree the gate judged.
    public var tree: String
    public var status: Status
    /// nil when the gate did not run (skipped, cached, timed out, killed by a signal) or is a built-in.
    @ExplicitNull public var exitCode: Int32?
    public var durationMilliseconds: Int
    /// The last part of what the gate printed (stdout and stderr interleaved).
    public var outputTail: String
    /// Bytes cut from the front of the output to keep the tail.
    public var outputDroppedBytes: Int
    /// True when the pass was taken from the cache instead of running the gate.
    public var cached: Bool
    public var at: Timestamp
    /// What a review gate's agent reported spending (absent for other gates).
    public var usage: Usage?

    public var passed: Bool { status == .passed }

    enum CodingKeys: String, CodingKey {
        case gate, command, tree, status, passed, cached, at, usage
        case exitCode = "exit_code"
        case durationMilliseconds = "duration_ms"
        case outputTail = "output_tail"
        case outputDroppedBytes = "output_dropped_bytes"
    }

    public init(gate: String, command: String, tree: String, status: Status, exitCode: Int32? = nil, durationMilliseconds: Int = 0,
                outputTail: String = "", outputDroppedBytes: Int = 0, cached: Bool = false, at: Timestamp) {
        self.gate = gate
        self.command = command
        self.tree = tree
        self.status = status
        self.exitCode = exitCode
        self.durationMilliseconds = durationMilliseconds
        self.outputTail = outputTail
        self.outputDroppedBytes = outputDroppedBytes
        self.cached = cached
        self.at = at
    }

    /// Written by hand only to add `passed`, which is derived from `status` and so not stored.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(gate, forKey: .gate)
        try container.encode(command, forKey: .command)
        try container.encode(tree, forKey: .tree)
        try container.encode(status, forKey: .status)
        try container.encode(passed, forKey: .passed)
        try container.encode(_exitCode, forKey: .exitCode)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try container.encode(outputTail, forKey: .outputTail)
        try container.encode(outputDroppedBytes, forKey: .outputDroppedBytes)
        try container.encode(cached, forKey: .cached)
        try container.encode(at, forKey: .at)
        try container.encodeIfPresent(usage, forKey: .usage)
    }
}

/// One run of gates over one tree: the `gate_results.json` document.
public struct GateReport: Encodable, Sendable, Equatable {
    public var tree: String
    public var passed: Bool
    public var results: [GateResult]

    public init(tree: String, results: [GateResult]) {
        self.tree = tree
        self.results = results
        passed = results.allSatisfy(\.passed)
    }
}
