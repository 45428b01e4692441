/// aider, one message per call (`--message-file`): the plan asked for in ask mode and taken from its reply, the
/// work with its edits applied and nothing committed. It runs no commands (under `--yes-always` it never runs one a
/// reply suggests): the gates are its tests. Its exit status says nothing of the model's API, so how the call went is
/// read from its analytics log (one `message_send` event per model reply, with the session's cost), kept with its
/// histories in the call's scratch directory.
struct Aider: AgentCLI {
    let program = "aider"
    let installHint = "pip install aider-chat (or: python -m pip install aider-install && aider-install)"
    /// Its repository map's cache (`.aider.tags.cache.v4`), which nothing moves out of the workspace.
    let leftovers = [".aider.tags.cache.v"]
    static let analyticsFile = "aider.analytics.jsonl"
    /// Without a model it takes the first provider whose key is set, which may not be the one meant; a model is
    /// named by `--model`, `AIDER_MODEL`, or `model:` in an `.aider.conf.yml` of the repository or the home directory.
    func namesModel(arguments: [String], environment: [String: String], root: String) -> Bool {
        if arguments.contains("--model") || environment["AIDER_MODEL"] != nil { return true }
        return [root, environment["HOME"].map { $0 + "/" }].compactMap { $0 }.contains { directory in
            let text = (try? String(contentsOfFile: directory + ".aider.conf.yml", encoding: .utf8)) ?? ""
            return text.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("model:") }
        }
    }

    func invocation(for call: AgentCLICall) -> AgentCLIInvocation? {
        var invocation = AgentCLIInvocation(arguments: [
            "--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore", "--no-check-update", "--no-show-release-notes",
            "--no-analytics", "--analytics-log", call.scratch + Self.analyticsFile, "--no-pretty", "--no-stream", "--no-fancy-input",
            "--chat-history-file", call.scratch + "aider.chat.history.md", "--input-history-file", call.scratch + "aider.input.history",
            "--message-file", call.promptFile,
        ])
        // A plan or a review is an answer, not an edit.
        if call.stage != .execute { invocation.arguments += ["--chat-mode", "ask"] }
        if let model = call.model { invocation.arguments += ["--model", model] }
        invocation.arguments += call.extraArguments
        invocation.results = [Self.analyticsFile]
        invocation.defaults = AgentCLIInvocation.litellmDefaults
        // Replies unwrapped, so a plan's JSON is one line, whatever width the terminal git aee runs in has.
        invocation.environment["COLUMNS"] = "100000"
        return invocation
    }

    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading {
        let text = String(decoding: output.bytes, as: UTF8.self)
        let replies = output.files[Self.analyticsFile].map(JSONValue.lines)?.filter { $0["event"]?.string == "message_send" } ?? []
        var reading = AgentCLIReading()
        if !replies.isEmpty {
            reading.usage = Usage(reportedCost: replies.last?["properties"]?["total_cost"]?.number, turns: replies.count)
        }
        reading.message = CLIOutputText.lastWords(output.bytes)
        if output.timedOut { return reading }
        if output.exitCode == 2 {
            reading.failure = AgentFailure(kind: .usage, message: CLIOutputText.refusal(output.bytes) ?? "aider refused its command line")
        } else if replies.isEmpty {
            // No reply from the model, whatever the exit status: the API's error is what aider printed about it.
            let error = CLIOutputText.lastLine(output.bytes) { $0.hasPrefix("litellm.") }
            reading.message = error ?? reading.message
            reading.failure = error.map(AgentFailure.fromAPI) ?? AgentFailure(kind: .agent, message: reading.message ?? "aider got no reply from the model")
        } else if output.exitCode != 0 {
            reading.failure = AgentFailure(kind: .agent, message: reading.message ?? "aider failed")
        } else if call.stage != .execute {
            reading.result = AnswerText.json(in: text, having: AnswerText.key(for: call.stage))
        }
        return reading
    }

    /// aider retries an unreachable API for over a minute, or a refused key, whatever is asked.
    func givesUp(on line: Substring) -> Bool {
        line.hasPrefix("litellm.") && (line.contains("Connection error") || line.contains("AuthenticationError"))
    }
}
