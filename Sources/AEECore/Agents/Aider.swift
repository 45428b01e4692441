/// aider, one message per call (`--message-file`): the plan asked for in ask mode and taken from its reply, the
/// work with its edits applied and nothing committed, its histories kept in the call's scratch directory.
struct Aider: AgentCLI {
    let program = "aider"
    let installHint = "pip install aider-chat (or: python -m pip install aider-install && aider-install)"
    let leftovers = [".aider"]

    func invocation(for call: AgentCLICall) -> AgentCLIInvocation? {
        var arguments = ["--yes-always", "--no-auto-commits", "--no-dirty-commits", "--no-gitignore", "--no-check-update", "--no-show-release-notes",
                         "--analytics-disable", "--no-pretty", "--no-stream", "--no-fancy-input", "--no-detect-urls",
                         "--chat-history-file", call.scratch + "aider.chat.history.md", "--input-history-file", call.scratch + "aider.input.history",
                         "--message-file", call.promptFile]
        if call.stage == .plan { arguments += ["--chat-mode", "ask"] }
        if let model = call.model { arguments += ["--model", model] }
        return AgentCLIInvocation(arguments: arguments + call.extraArguments)
    }

    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading {
        let text = String(decoding: output.bytes, as: UTF8.self)
        var reading = AgentCLIReading()
        // `Tokens: 2.1k sent, 85 received. Cost: $0.0071 message, $0.0071 session.` after each model reply.
        let costs = text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("Tokens:") }
        let words = costs.last?.split(separator: " ") ?? []
        let session = words.indices.first { words[$0].hasPrefix("session") && $0 > 0 }.map { words[$0 - 1].drop { $0 == "$" } }
        reading.usage = Usage(reportedCost: session.flatMap { Double($0) }, turns: costs.isEmpty ? nil : costs.count)
        reading.message = ClaudeCode.lastWords(output.bytes)
        if output.exitCode != 0, !output.timedOut {
            reading.failure = AgentFailure(kind: output.exitCode == 2 ? .usage : Self.isAPIError(text) ? .api : .agent, message: reading.message ?? "aider failed")
        } else if call.stage == .plan {
            reading.result = PlanText.json(in: text)
        }
        return reading
    }

    private static func isAPIError(_ text: String) -> Bool {
        ["AuthenticationError", "APIConnectionError", "Connection error", "litellm.", "API key"].contains { text.contains($0) }
    }
}
