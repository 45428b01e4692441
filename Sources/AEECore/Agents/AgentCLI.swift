#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A coding-agent CLI that git aee drives itself (docs/agents.md#built-in-agents): its command line for each stage,
/// and what its output says, turned into the generic contract's terms (a plan, a report, usage, a failure).
protocol AgentCLI: Sendable {
    /// The program run, looked up on PATH.
    var program: String { get }
    /// How to get `program`, for the error when it is missing.
    var installHint: String { get }
    /// The command line (after the program) for one call; nil when the CLI cannot do `call.stage` (a plan).
    func invocation(for call: AgentCLICall) -> AgentCLIInvocation?
    /// What a finished call's output means.
    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading
    /// What the agent is doing now, from one line of its output; nil when the line does not say.
    func activity(in line: Substring) -> String?
    /// Whether a line of output says the call is no use going on (an API that cannot be reached, which the CLI would
    /// retry for minutes): the call is then stopped at once.
    func givesUp(on line: Substring) -> Bool
    /// For a CLI that picks a provider by whichever API key it finds when no model is named, whether its own
    /// settings name one (in `arguments`, the environment, its configuration files); such a CLI runs only with a model.
    func namesModel(arguments: [String], environment: [String: String], root: String) -> Bool
    /// Beginnings of the names of files the CLI leaves at the top of the workspace for itself (caches, histories):
    /// those a call made are removed after it, so they are never committed.
    var leftovers: [String] { get }
}

extension AgentCLI {
    func activity(in line: Substring) -> String? { nil }
    func givesUp(on line: Substring) -> Bool { false }
    func namesModel(arguments: [String], environment: [String: String], root: String) -> Bool { true }
    var leftovers: [String] { [] }
}

/// What CLIs print as they stop.
enum CLIOutputText {
    /// The last line printed that is not JSON: what a CLI says when it stops.
    static func lastWords(_ bytes: [UInt8]) -> String? {
        lastLine(bytes) { !$0.hasPrefix("{") }
    }

    /// The last line of `bytes` (framing drawn around it taken off) that `matches`, with the `continued` lines after
    /// it that a traceback printer wrapped it onto.
    static func lastLine(_ bytes: [UInt8], continued: Int = 0, where matches: (String) -> Bool) -> String? {
        let all = lines(bytes)
        guard let index = all.lastIndex(where: matches) else { return nil }
        return all[index...].prefix(continued + 1).joined(separator: " ")
    }

    /// The line in which a CLI refuses its command line (`error: unexpected argument '--x' found`, `No such option:
    /// --x`, `unrecognized arguments: --x`), framing drawn around it taken off; else its last words.
    static func refusal(_ bytes: [UInt8]) -> String? {
        let markers = ["unexpected argument", "unknown option", "no such option", "unrecognized arguments", "error:"]
        return lastLine(bytes) { line in markers.contains { line.lowercased().contains($0) } } ?? lastWords(bytes)
    }

    private static func lines(_ bytes: [UInt8]) -> [String] {
        let framing: (Character) -> Bool = { $0.isWhitespace || "│╭╮╰╯─┃".contains($0) }
        return bytes.split(separator: UInt8(ascii: "\n")).map { String(String(decoding: $0, as: UTF8.self).drop(while: framing).reversed().drop(while: framing).reversed()) }
            .filter { !$0.isEmpty }
    }
}

/// One call of a built-in agent.
struct AgentCLICall {
    let stage: AgentStage
    let prompt: String
    /// The prompt, as a file.
    let promptFile: String
    /// A directory of the call's own, outside the workspace (ends with `/`): schemas, transcripts, the CLI's histories.
    let scratch: String
    /// `--model`, `aee.model`, `agent.model`: nil leaves the choice to the CLI's own configuration.
    let model: String?
    /// Extra arguments from `agent.args`, after git aee's.
    let extraArguments: [String]
    /// What is left of `--max-cost`, for CLIs that can stop themselves at a budget.
    let budgetUSD: Decimal?
    let prices: ModelPrices
}

/// How to start one call.
struct AgentCLIInvocation {
    var arguments: [String]
    /// Set for the CLI on top of the agent environment.
    var environment: [String: String] = [:]
    /// Set for the CLI unless the environment has them already (the user's own choice wins).
    var defaults: [String: String] = [:]
    /// A file read as standard input; nil for `/dev/null` (CLIs wait on a pipe that is not a terminal).
    var input: String?
    /// Files written in the call's scratch directory before it starts (a schema), by name.
    var files: [String: String] = [:]
    /// Files in the call's scratch directory read after it ends (a transcript, a last message), by name.
    var results: [String] = []

    /// For CLIs that reach models through litellm (aider, mini-swe-agent): its price list from the package, not
    /// downloaded at every start.
    static let litellmDefaults = ["LITELLM_LOCAL_MODEL_COST_MAP": "True"]
}

/// What a call printed and how it ended.
struct AgentCLIOutput {
    /// Standard output and error interleaved, the last `AgentDriver.outputCap` bytes.
    let bytes: [UInt8]
    let exitCode: Int32?
    let timedOut: Bool
    /// The invocation's `results` that the CLI wrote, by name.
    let files: [String: [UInt8]]
}

/// A built-in agent's call in the generic contract's terms.
struct AgentCLIReading {
    /// The plan (`summary`, `work_items`) or the report, as a generic agent writes to `AEE_OUTPUT_FILE`.
    var result: [UInt8]?
    var usage: Usage = .unknown
    /// The agent's last words (its final message, or the CLI's error): the output tail recorded and shown.
    var message: String?
    /// Tool calls the CLI refused the agent, as `tool: input`.
    var denials: [String] = []
    /// Why the call failed, when the CLI says so (even with exit status 0).
    var failure: AgentFailure?
}
