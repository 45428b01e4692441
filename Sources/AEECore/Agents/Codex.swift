/// OpenAI's Codex CLI (`codex exec`), its `--json` event stream read as it goes: the plan through `--output-schema`
/// in a read-only sandbox, the work in its sandbox that may write the workspace but not its `.git` (so the agent
/// cannot commit), approvals off (nothing is there to answer them). It reports tokens only: git aee prices them
/// (`ModelPrices`). The prompt is its standard input, a file, which ends (on a pipe left open it would wait).
struct Codex: AgentCLI {
    let program = "codex"
    let installHint = "install the Codex CLI (npm install -g @openai/codex); the PyPI wheel openai-codex-cli-bin also carries it, as codex_cli_bin/bin/codex, to link onto PATH"
    static let schemaFile = "answer_schema.json"
    static let lastMessageFile = "last_message.txt"

    func invocation(for call: AgentCLICall) -> AgentCLIInvocation? {
        // `--ephemeral`: no session files; plugins and analytics off, so nothing but the model's endpoint is reached
        // (without a network each would cost seconds); an unreachable endpoint fails after a few tries, not never.
        var invocation = AgentCLIInvocation(arguments: ["-a", "never", "exec", "--json", "--skip-git-repo-check", "--color", "never", "--ephemeral",
                                                        "--disable", "plugins", "--disable", "unbounded_connection_retries",
                                                        "-c", "analytics.enabled=false"])
        if let schema = AnswerText.schema(for: call.stage) {
            // A plan or a review: read only, answered to a schema.
            invocation.arguments += ["--sandbox", "read-only", "--output-schema", call.scratch + Self.schemaFile,
                                     "--output-last-message", call.scratch + Self.lastMessageFile]
            invocation.files[Self.schemaFile] = schema
            invocation.results = [Self.lastMessageFile]
        } else {
            invocation.arguments += ["--sandbox", "workspace-write"]
        }
        if let model = call.model { invocation.arguments += ["--model", model] }
        // The prompt from standard input (`-`), not as an argument: no size limit, and never taken for a flag.
        invocation.arguments += call.extraArguments + ["-"]
        invocation.input = call.promptFile
        return invocation
    }

    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading {
        let events = JSONValue.lines(output.bytes)
        var reading = AgentCLIReading()
        let turns = events.filter { $0["type"]?.string == "turn.completed" }
        if let usage = turns.last?["usage"] {
            let input = usage["input_tokens"]?.int ?? 0, cached = usage["cached_input_tokens"]?.int ?? 0, produced = usage["output_tokens"]?.int ?? 0
            reading.usage = Usage(costUSD: call.model.flatMap { call.prices.cost(model: $0, input: input, cachedInput: cached, output: produced) },
                                  turns: events.filter { $0["type"]?.string == "item.completed" && $0["item"]?["type"]?.string != "reasoning" }.count)
        }
        reading.message = events.last { $0["type"]?.string == "item.completed" && $0["item"]?["type"]?.string == "agent_message" }?["item"]?["text"]?.string
        // An `error` event is also how it reports a retry ("Reconnecting... 1/5"): only a turn that did not complete failed.
        let error = events.last { $0["type"]?.string == "turn.failed" }?["error"]?["message"]?.string
            ?? (turns.isEmpty ? events.last { $0["type"]?.string == "error" }?["message"]?.string : nil)
        if let error {
            reading.message = error
            reading.failure = AgentFailure.fromAPI(error)
        } else if output.exitCode == 2 || (turns.isEmpty && output.exitCode != 0 && !output.timedOut) {
            let words = (output.exitCode == 2 ? CLIOutputText.refusal(output.bytes) : CLIOutputText.lastWords(output.bytes)) ?? "exited with status \(output.exitCode.map(String.init) ?? "?")"
            reading.message = words
            reading.failure = output.exitCode == 2 ? AgentFailure(kind: .usage, message: words) : AgentFailure.fromAPI(words)
        } else if call.stage != .execute {
            let key = AnswerText.key(for: call.stage)
            reading.result = output.files[Self.lastMessageFile].flatMap { AnswerText.json(in: String(decoding: $0, as: UTF8.self), having: key) }
                ?? reading.message.flatMap { AnswerText.json(in: $0, having: key) }
        }
        return reading
    }

    func activity(in line: Substring) -> String? {
        guard line.contains("\"item.started\""), let event = JSONValue.parse(line.utf8), let item = event["item"] else { return nil }
        switch item["type"]?.string {
        case "command_execution": return "Bash: " + (item["command"]?.string ?? "")
        case "file_change":
            let paths = item["changes"]?.array.compactMap { $0["path"]?.string?.split(separator: "/").last.map(String.init) } ?? []
            return "Edit " + paths.joined(separator: ", ")
        default: return nil
        }
    }
}
