#if canImport(Glibc)
import Glibc
#endif

/// Claude Code (`claude`) in print mode, its event stream read as it goes: the plan through `--json-schema` with
/// read-only tools, the work with edit and shell tools, git's commit, push and reset refused, permission prompts
/// off (nothing is there to answer them), and its reported cost and turns.
struct ClaudeCode: AgentCLI {
    let program = "claude"
    let installHint = "install Claude Code (npm install -g @anthropic-ai/claude-code); the PyPI wheel claude-agent-sdk also carries it, as claude_agent_sdk/_bundled/claude, to link onto PATH as claude"

    static let planTools = ["Read", "Glob", "Grep"]
    static let workTools = ["Read", "Glob", "Grep", "Edit", "Write", "Bash"]
    /// What git aee does itself, or must not happen at all (docs/agents.md#claude-code).
    static let refused = ["Bash(git commit:*)", "Bash(git push:*)", "Bash(git reset:*)"]

    func invocation(for call: AgentCLICall) -> AgentCLIInvocation? {
        var arguments = ["-p", "--output-format", "stream-json", "--verbose", "--no-session-persistence", "--permission-mode", "bypassPermissions"]
        if let schema = AnswerText.schema(for: call.stage) {
            // A plan or a review: read-only tools, answered to a schema.
            arguments += ["--tools", Self.planTools.joined(separator: ","), "--json-schema", schema]
        } else {
            arguments += ["--tools", Self.workTools.joined(separator: ","), "--disallowedTools"] + Self.refused
        }
        if let model = call.model { arguments += ["--model", model] }
        if let budget = call.budgetUSD { arguments += ["--max-budget-usd", budget.description] }
        var invocation = AgentCLIInvocation(arguments: arguments + call.extraArguments, input: call.promptFile)
        invocation.defaults = [
            // Its own retries of an unreachable or refusing API take three minutes; two take seconds.
            "CLAUDE_CODE_MAX_RETRIES": "2",
            // A command past the Bash tool's timeout is killed, not moved to the background, where the CLI would wait
            // for it after its result.
            "CLAUDE_CODE_DISABLE_BACKGROUND_TASKS": "1",
            "DISABLE_AUTOUPDATER": "1",
            // Its per-session files go with the call's scratch directory instead of piling up in /tmp.
            "TMPDIR": call.scratch,
        ]
        // As root the CLI refuses to skip permission prompts unless told it is in a sandbox; the workspace is one as
        // far as git aee's wall goes (docs/guarantees.md says what that covers).
        if geteuid() == 0 { invocation.environment["IS_SANDBOX"] = "1" }
        return invocation
    }

    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading {
        let events = JSONValue.lines(output.bytes)
        guard let result = events.last(where: { $0["type"]?.string == "result" }) else {
            return AgentCLIReading(message: CLIOutputText.lastWords(output.bytes), failure: Self.failure(withoutResult: output))
        }
        var reading = AgentCLIReading()
        reading.usage = Usage(reportedCost: result["total_cost_usd"]?.number, turns: result["num_turns"]?.int)
        reading.message = result["result"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? result["errors"]?.array.first?.string
        reading.denials = (result["permission_denials"]?.array ?? []).map(Self.describeDenial)
        // `is_error`, not the subtype: a failed API call ends as `success` with `is_error` set.
        if result["is_error"]?.bool != false {
            let message = reading.message ?? "the CLI reported an error"
            reading.message = message
            reading.failure = result["subtype"]?.string == "error_max_budget_usd" ? AgentFailure(kind: .budget, message: message) : AgentFailure.fromAPI(message)
        } else if call.stage != .execute {
            reading.result = (result["structured_output"].flatMap { try? CanonicalJSON.compact($0) })
                ?? reading.message.flatMap { AnswerText.json(in: $0, having: AnswerText.key(for: call.stage)) }
        }
        return reading
    }

    func activity(in line: Substring) -> String? {
        guard line.hasPrefix("{\"type\":\"assistant\""), let event = JSONValue.parse(line.utf8) else { return nil }
        return event["message"]?["content"]?.array.last { $0["type"]?.string == "tool_use" }.map(Self.describeToolUse)
    }

    /// `Edit calc.sh`, `Bash: sh test.sh`.
    static func describeToolUse(_ use: JSONValue) -> String {
        let name = use["name"]?.string ?? "tool"
        let input = use["input"]
        if let command = input?["command"]?.string { return "\(name): \(command)" }
        if let path = input?["file_path"]?.string ?? input?["path"]?.string { return "\(name) \(path.split(separator: "/").last.map(String.init) ?? path)" }
        if let pattern = input?["pattern"]?.string { return "\(name) \(pattern)" }
        return name
    }

    private static func describeDenial(_ denial: JSONValue) -> String {
        describeToolUse(.object(["name": denial["tool_name"] ?? .null, "input": denial["tool_input"] ?? .null]))
    }

    /// A run that ended before its result line: a refused command line (the CLI's usage error) or a crash.
    private static func failure(withoutResult output: AgentCLIOutput) -> AgentFailure? {
        guard !output.timedOut, output.exitCode != 0 else { return nil }
        let words = CLIOutputText.refusal(output.bytes) ?? "exited with status \(output.exitCode.map(String.init) ?? "?") before its result"
        let lowered = words.lowercased()
        if lowered.contains("unknown option") || lowered.contains("error: option") || lowered.contains("too many arguments") {
            return AgentFailure(kind: .usage, message: words)
        }
        return AgentFailure.fromAPI(words)
    }
}
