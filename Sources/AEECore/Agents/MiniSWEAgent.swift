/// mini-swe-agent (`mini`), in yolo mode and ending at once: the work only (it has no plan mode, so the task is one
/// work item), its cost and model calls read from the trajectory it saves.
struct MiniSWEAgent: AgentCLI {
    let program = "mini"
    let installHint = "pip install mini-swe-agent"
    static let trajectoryFile = "trajectory.json"

    func invocation(for call: AgentCLICall) -> AgentCLIInvocation? {
        guard call.stage == .execute else { return nil }
        var invocation = AgentCLIInvocation(arguments: ["-y", "--exit-immediately", "-t", call.prompt, "-o", call.scratch + Self.trajectoryFile])
        if let model = call.model { invocation.arguments += ["-m", model] }
        if let budget = call.budgetUSD { invocation.arguments += ["-l", budget.description] }
        invocation.arguments += call.extraArguments
        invocation.results = [Self.trajectoryFile]
        return invocation
    }

    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading {
        var reading = AgentCLIReading(message: ClaudeCode.lastWords(output.bytes))
        guard let trajectory = output.files[Self.trajectoryFile].flatMap(JSONValue.parse), let info = trajectory["info"] else {
            if output.exitCode != 0, !output.timedOut {
                reading.failure = AgentFailure(kind: output.exitCode == 2 ? .usage : .agent, message: reading.message ?? "mini failed")
            }
            return reading
        }
        let stats = info["model_stats"]
        reading.usage = Usage(reportedCost: stats?["instance_cost"]?.number, turns: stats?["api_calls"]?.int)
        let status = info["exit_status"]?.string ?? ""
        reading.message = info["submission"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? reading.message
        if status.contains("Limit") {
            reading.failure = AgentFailure(kind: .budget, message: "mini-swe-agent stopped: \(status)")
        } else if !["Submitted", ""].contains(status) {
            reading.failure = AgentFailure(kind: .agent, message: "mini-swe-agent stopped: \(status)")
        }
        return reading
    }
}
