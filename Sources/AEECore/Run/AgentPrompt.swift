/// The plain-text prompt an agent gets on standard input (and in `AEE_PROMPT_FILE`): the task, the work item and
/// what went wrong last time, all inline, so that a model behind a CLI reads everything it needs. It names files by
/// their paths (a model cannot read environment variables) and asks nothing a model cannot do: the exit codes of the
/// command contract are for programs, and are documented, not prompted.
struct AgentPrompt {
    let task: TaskRecord
    let stage: AgentStage
    let iteration: Int
    let workItem: WorkItem?
    let context: FailureContext?
    /// Where a plan or a report may be written (`AEE_OUTPUT_FILE`); nil for a built-in agent, whose CLI hands the
    /// plan over itself and whose report git aee reads from the CLI's output.
    let outputFile: String?
    /// What a review gate's call judges; nil at the other stages.
    var review: ReviewRequest? = nil

    static let verdictShape = #"{"verdict": "approve", "comments": []}"#
    /// The part of the change quoted in a review's prompt; the whole diff is in `AEE_DIFF_FILE`.
    static let quotedDiffBytes = 64 * 1024

    static let planShape = #"{"summary": "...", "work_items": [{"id": "short-name", "title": "...", "description": "...", "depends_on": []}]}"#
    /// How `depends_on` is read, told with the plan's shape.
    static let dependencies = "depends_on names the ids of earlier items an item needs done first; items whose dependencies are done "
        + "may be worked on at the same time, each in a checkout of its own, so name only what an item truly needs. "
        + "Leave depends_on out to have the items done one after another."

    /// Lines of each failed gate's output quoted in the prompt; the whole tail is in the context file.
    static let quotedLines = 60
    /// Files named in the prompt as changed by the previous iteration; the context file lists them all.
    static let quotedFiles = 100

    var text: String {
        var lines = ["Task \(task.id): \(task.title)", "(attempt \(iteration) of at most \(task.metadata.maxIterations))", ""]
        switch stage {
        case .plan:
            lines += [
                "Plan this task as a short list of work items, each a change that can be made and checked on its own.",
                "Read what you need, but do not change any file yet.",
            ]
            if let outputFile {
                lines += [
                    "Write the plan as JSON to the file \(outputFile):",
                    Self.planShape,
                    Self.dependencies,
                    "Without that file the whole task is done as one work item.",
                ]
            } else {
                lines += ["Answer with the plan as JSON:", Self.planShape, Self.dependencies]
            }
        case .review:
            let review = review ?? ReviewRequest(plan: [], diff: "", diffFile: "")
            lines += ["Review the change made for this task: does it do what the task asks, correctly and completely?",
                      "Read what you need, but do not change any file."]
            if !review.plan.isEmpty {
                lines += ["", "The plan it followed:"] + review.plan.enumerated().map { "  \($0.offset + 1). [\($0.element.id)] \($0.element.title)" }
            }
            let verdict = ["Answer with \"approve\", or \"request_changes\" with one comment per problem that must be fixed (what and where):",
                           Self.verdictShape]
            lines += [""] + (outputFile.map { ["Write your verdict as JSON to the file \($0):"] + verdict.dropFirst() } ?? verdict)
            let quoted = review.diff.utf8.count > Self.quotedDiffBytes
                ? String(decoding: review.diff.utf8.prefix(Self.quotedDiffBytes), as: UTF8.self) + "\n[... the rest is in \(review.diffFile)]" : review.diff
            lines += ["", "The change (git diff against the commit the task started from, .aee/ left out; also in \(review.diffFile)):", quoted]
        case .execute:
            if let workItem {
                lines += ["Do this work item now, in the current directory (a checkout of the project):", "", "Work item \(workItem.id): \(workItem.title)"]
                if !workItem.description.isEmpty { lines += [workItem.description] }
                lines += [""]
            }
            lines += [
                "Change the files it needs, and run the project's tests if you can.",
                "Do not commit, push or switch branches (git aee commits your changes), and leave .aee/ alone.",
            ]
            if let outputFile {
                lines += ["If you like, report what you did as JSON in the file \(outputFile) (optional):",
                          #"{"commands_run": [], "tests_run": [], "evidence": [], "handoff_notes": "..."}"#]
            }
        }
        if let context { lines += [""] + Self.describe(context, during: iteration) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What went wrong, for a call of iteration `current`: the previous iteration's failure, or this iteration's
    /// conflict between work items that ran side by side.
    static func describe(_ context: FailureContext, during current: Int) -> [String] {
        var lines = [context.iteration == current ? "Work items that ran side by side changed the same lines."
                     : "The previous iteration (\(context.iteration)) failed."]
        for conflict in context.conflicts ?? [] {
            lines += ["Work item \(conflict.workItem) conflicted with " + (conflict.with.isEmpty ? "the others" : conflict.with.joined(separator: ", "))
                      + " in: " + conflict.files.prefix(quotedFiles).joined(separator: ", ") + ". "
                      + (context.iteration == current ? "It runs again on their merged work: make its change on top of theirs." : "")]
        }
        if let agent = context.agent {
            lines += ["The agent \(agent.status.replacingUnderscores) at the \(agent.stage) stage" + (agent.workItem.map { " (work item \($0))" } ?? "")
                      + (agent.exitCode.map { " with exit code \($0)" } ?? "") + ". Its output ended with:"]
            lines += tail(agent.outputTail)
        }
        for gate in context.failedGates {
            let exit = gate.exitCode.map { " with exit code \($0)" } ?? ""
            // A commit hook's refusal (`Attempt.refusal`) is filed as a gate named "<hook> hook"; gate names hold no space.
            let status = gate.status.replacingUnderscores
            lines += [gate.gate.hasSuffix(" hook")
                      ? "The repository's \(gate.gate) \(gate.status == "failed" ? "refused" : status + " on") the work item's commit\(exit), so its change was not committed. Its output ended with:"
                      : "Gate '\(gate.gate)' \(status)\(exit). Its output ended with:"]
            lines += tail(gate.outputTail)
        }
        if !context.filesChanged.isEmpty {
            let named = context.filesChanged.prefix(quotedFiles).joined(separator: ", ")
            let more = context.filesChanged.count - quotedFiles
            lines += ["Files the previous iteration changed: " + named + (more > 0 ? ", and \(more) more" : "")]
        }
        for (index, other) in (context.attempts ?? []).enumerated() {
            lines += ["Attempt \(index + 2), made beside it, failed as well: \(other.summary)."]
        }
        if context.iteration != current { lines += ["Fix what made it fail."] }
        return lines
    }

    private static func tail(_ output: String) -> [String] {
        output.split(separator: "\n", omittingEmptySubsequences: false).suffix(quotedLines).map { "    " + $0 }
    }
}
