/// mini-swe-agent (`mini`), in yolo mode and ending as soon as it submits: the work only (it has no plan mode, so
/// the task is one work item), its cost, model calls and exit status read from the trajectory it saves in the
/// call's scratch directory after every step.
struct MiniSWEAgent: AgentCLI {
    let program = "mini"
    let installHint = "pip install mini-swe-agent"
    static let trajectoryFile = "trajectory.json"

    /// Without a model on its command line, in its config, `MSWEA_MODEL_NAME` or its global `.env`, mini stops at
    /// once ("No default model set").
    func namesModel(arguments: [String], environment: [String: String], root: String) -> Bool {
        if arguments.contains(where: { ["-m", "--model", "-c", "--config"].contains($0) || $0.hasPrefix("--model=") || $0.hasPrefix("--config=") }) { return true }
        if environment["MSWEA_MODEL_NAME"].map({ !$0.isEmpty }) == true { return true }
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? environment["HOME"].map { $0 + "/.config" }
        guard let directory = environment["MSWEA_GLOBAL_CONFIG_DIR"] ?? configHome.map({ $0 + "/mini-swe-agent" }),
              let text = try? String(contentsOfFile: directory + "/.env", encoding: .utf8) else { return false }
        return text.split(whereSeparator: \.isNewline).contains { line in
            let words = line.drop { $0 == " " }
            return (words.hasPrefix("MSWEA_MODEL_NAME=") || words.hasPrefix("export MSWEA_MODEL_NAME=")) && !line.hasSuffix("=") && !line.hasSuffix("=''") && !line.hasSuffix("=\"\"")
        }
    }

    func invocation(for call: AgentCLICall) -> AgentCLIInvocation? {
        guard call.stage == .execute else { return nil }
        var invocation = AgentCLIInvocation(arguments: ["-y", "--exit-immediately", "-t", Self.task(call), "-o", call.scratch + Self.trajectoryFile])
        if let model = call.model { invocation.arguments += ["-m", model] }
        if let budget = call.budgetUSD { invocation.arguments += ["-l", budget.description] }
        invocation.arguments += call.extraArguments
        invocation.results = [Self.trajectoryFile]
        invocation.defaults = AgentCLIInvocation.litellmDefaults.merging([
            // Without it, a first run asks set-up questions on a terminal there is none of, and ends.
            "MSWEA_CONFIGURED": "true",
            "MSWEA_SILENT_STARTUP": "1",
            // Its retries of an unreachable API take four and a half minutes; two tries take seconds.
            "MSWEA_MODEL_RETRY_STOP_AFTER_ATTEMPT": "2",
        ]) { $1 }
        return invocation
    }

    /// Linux takes no argument longer than 128 KiB; a longer prompt (a flood of failure output) is cut there, the
    /// whole of it named by its file.
    static let argumentLimit = 120 * 1024

    static func task(_ call: AgentCLICall) -> String {
        guard call.prompt.utf8.count > argumentLimit else { return call.prompt }
        let kept = String(decoding: call.prompt.utf8.prefix(argumentLimit), as: UTF8.self)
        return kept + "\n[... the prompt goes on in \(call.promptFile)]\n"
    }

    func reading(of output: AgentCLIOutput, for call: AgentCLICall) -> AgentCLIReading {
        var reading = AgentCLIReading(message: CLIOutputText.lastWords(output.bytes))
        guard let trajectory = output.files[Self.trajectoryFile].flatMap(JSONValue.parse), let info = trajectory["info"] else {
            if output.exitCode != 0, !output.timedOut {
                let usage = output.exitCode == 2
                reading.message = usage ? CLIOutputText.refusal(output.bytes) : reading.message
                reading.failure = AgentFailure(kind: usage ? .usage : .agent, message: reading.message ?? "mini failed before its first step")
            }
            return reading
        }
        let stats = info["model_stats"]
        reading.usage = Usage(reportedCost: stats?["instance_cost"]?.number, turns: stats?["api_calls"]?.int)
        if let submission = info["submission"]?.string, !submission.isEmpty { reading.message = submission }
        switch info["exit_status"]?.string ?? "" {
        case "Submitted", "":
            break
        case "LimitsExceeded" where call.budgetUSD.map { (reading.usage.costUSD ?? 0) >= $0 } ?? false:
            reading.failure = AgentFailure(kind: .budget, message: "mini-swe-agent reached the cost limit git aee gave it")
        case "LimitsExceeded":
            // Its own configuration's step or cost limit, not the task's budget: the next iteration may do better.
            reading.failure = AgentFailure(kind: .agent, message: "mini-swe-agent reached a limit of its configuration (step_limit, cost_limit)")
        case let status where status.hasSuffix("Error"):
            // Its traceback ends with the exception's line, which says what the API answered.
            let line = CLIOutputText.lastLine(output.bytes, continued: 2) { $0.contains("\(status):") } ?? "mini-swe-agent: \(status)"
            reading.message = line
            reading.failure = AgentFailure.fromAPI(line)
        case let status:
            reading.failure = AgentFailure(kind: .agent, message: "mini-swe-agent stopped: \(status)")
        }
        return reading
    }
}
