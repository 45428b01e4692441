/// The plain-text prompt an agent gets on standard input (and in `AEE_PROMPT_FILE`): the task, the work item and
/// what went wrong last time, so a generic agent CLI can be driven without reading the JSON files.
struct AgentPrompt {
    let task: TaskRecord
    let stage: AgentStage
    let iteration: Int
    let workItem: WorkItem?
    let context: FailureContext?

    /// Lines of each failed gate's output quoted in the prompt; the whole tail is in the context file.
    static let quotedLines = 60

    var text: String {
        var lines = ["Task \(task.id): \(task.title)", "Iteration \(iteration) of at most \(task.metadata.maxIterations).", ""]
        switch stage {
        case .plan:
            lines += [
                "Plan this task as a short list of work items. Do not change files yet.",
                "Write the plan as JSON to the file named by $AEE_OUTPUT_FILE:",
                #"{"summary": "...", "work_items": [{"id": "short-name", "title": "...", "description": "..."}]}"#,
            ]
        case .execute:
            if let workItem {
                lines += ["Do this work item now, in the current directory:", "", "Work item \(workItem.id): \(workItem.title)"]
                if !workItem.description.isEmpty { lines += [workItem.description] }
                lines += [""]
            }
            lines += [
                "Change the files; do not commit (git aee commits your changes) and leave .aee/ alone.",
                "You may report what you did as JSON in the file named by $AEE_OUTPUT_FILE:",
                #"{"commands_run": [], "tests_run": [], "evidence": [], "handoff_notes": "..."}"#,
            ]
        }
        lines += ["Exit 0 when done, 3 if a human is needed, anything else on failure."]
        if let context { lines += [""] + Self.describe(context) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ context: FailureContext) -> [String] {
        var lines = ["The previous iteration (\(context.iteration)) failed."]
        if let agent = context.agent {
            lines += ["The agent \(agent.status.replacingUnderscores) at the \(agent.stage) stage" + (agent.workItem.map { " (work item \($0))" } ?? "")
                      + (agent.exitCode.map { " with exit code \($0)" } ?? "") + ". Its output ended with:"]
            lines += tail(agent.outputTail)
        }
        for gate in context.failedGates {
            lines += ["Gate '\(gate.gate)' \(gate.status.replacingUnderscores)" + (gate.exitCode.map { " with exit code \($0)" } ?? "") + ". Its output ended with:"]
            lines += tail(gate.outputTail)
        }
        if !context.filesChanged.isEmpty {
            lines += ["Files the previous iteration changed: " + context.filesChanged.joined(separator: ", ")]
        }
        lines += ["The full details are in the JSON file named by $AEE_CONTEXT_FILE."]
        return lines
    }

    private static func tail(_ output: String) -> [String] {
        output.split(separator: "\n", omittingEmptySubsequences: false).suffix(quotedLines).map { "    " + $0 }
    }
}
