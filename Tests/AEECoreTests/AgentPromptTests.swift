import Testing
@testable import AEECore

@Suite("the prompt an agent reads")
struct AgentPromptTests {
    let task = TaskRecord(id: TaskID("k3m9x2ab")!, title: "Make calc.sh add", createdBy: "A <a@b>", at: Timestamp(seconds: 1_800_000_000),
                          baseCommit: nil, baseBranch: nil, metadata: TaskMetadata(gates: ["tests"], maxIterations: 5, runMode: .autonomous))

    @Test("a model behind a CLI gets everything inline: the work item, the failure's output, the report file by its path; no exit codes")
    func readsRight() {
        let context = FailureContext(iteration: 1, reason: .gatesFailed,
                                     failedGates: [.init(gate: "tests", status: "failed", exitCode: 1, outputTail: "FAIL: ./calc.sh 2 3 printed -1\n")],
                                     agent: nil, filesChanged: ["calc.sh"], signature: "x")
        let text = AgentPrompt(task: task, stage: .execute, iteration: 2, workItem: WorkItem(id: "fix", title: "Fix the sum", description: "Use +."),
                               context: context, outputFile: "/cache/calls/k3m9x2ab/output.json").text
        #expect(text.contains("Work item fix: Fix the sum\nUse +."))
        #expect(text.contains("    FAIL: ./calc.sh 2 3 printed -1"))
        #expect(text.contains("/cache/calls/k3m9x2ab/output.json (optional)"))
        #expect(!text.contains("$AEE_") && !text.lowercased().contains("exit 0") && !text.contains(" 3 if"))
        let plan = AgentPrompt(task: task, stage: .plan, iteration: 1, workItem: nil, context: nil, outputFile: "/o.json").text
        #expect(plan.contains("Write the plan as JSON to the file /o.json"))
    }

    @Test("a commit hook's refusal reads as one: the hook refused the commit, and the change was not committed")
    func hookRefusal() {
        let context = FailureContext(iteration: 1, reason: .gatesFailed,
                                     failedGates: [.init(gate: "pre-commit hook", status: "failed", exitCode: 1, outputTail: "settings.txt holds a secret\n")],
                                     agent: nil, filesChanged: [], signature: "x")
        let text = AgentPrompt(task: task, stage: .execute, iteration: 2, workItem: WorkItem(id: "fix", title: "Fix the sum", description: ""),
                               context: context, outputFile: "/o.json").text
        #expect(text.contains("The repository's pre-commit hook refused the work item's commit with exit code 1, so its change was not committed. Its output ended with:\n    settings.txt holds a secret"), "\(text)")
        #expect(!text.contains("Gate 'pre-commit hook'"))
        let slow = FailureContext(iteration: 1, reason: .gatesFailed, failedGates: [.init(gate: "commit-msg hook", status: "timed_out", exitCode: nil, outputTail: "")],
                                  agent: nil, filesChanged: [], signature: "x")
        #expect(AgentPrompt(task: task, stage: .execute, iteration: 2, workItem: nil, context: slow, outputFile: "/o.json").text
            .contains("The repository's commit-msg hook timed out on the work item's commit, so its change was not committed."))
    }

    @Test("a review's prompt: the plan, the verdict's shape and where to write it, the change inline up to 64 KiB, the rest by its file")
    func review() {
        let request = ReviewRequest(plan: [WorkItem(id: "fix", title: "Fix the sum", description: "")], diff: "+echo $(($1 + $2))\n", diffFile: "/c/change.diff")
        let text = AgentPrompt(task: task, stage: .review, iteration: 1, workItem: nil, context: nil, outputFile: "/c/output.json", review: request).text
        #expect(text.contains("  1. [fix] Fix the sum"))
        #expect(text.contains("Write your verdict as JSON to the file /c/output.json:\n" + AgentPrompt.verdictShape))
        #expect(text.contains("also in /c/change.diff):\n+echo $(($1 + $2))"))
        #expect(text.contains("do not change any file"))
        let big = ReviewRequest(plan: [], diff: String(repeating: "+x\n", count: 40_000), diffFile: "/c/change.diff")
        let long = AgentPrompt(task: task, stage: .review, iteration: 1, workItem: nil, context: nil, outputFile: nil, review: big).text
        #expect(long.contains("[... the rest is in /c/change.diff]") && long.utf8.count < 70_000)
        #expect(long.contains("Answer with \"approve\""))
    }
}
