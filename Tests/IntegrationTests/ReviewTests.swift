import Foundation
import Testing

extension Scratch {
    /// A repository whose `.aee/config.json` has `agent` and the gates `tests` (out.txt exists) and `review`.
    static func reviewed(agent: String, review: String = #"{"builtin": "review"}"#) throws -> Scratch {
        let repo = try Scratch()
        try repo.write("README", "hello\n")
        try repo.write(".aee/config.json", #"{"version": 1, "agent": \#(agent), "gates": {"tests": {"run": "test -f out.txt"}, "review": \#(review)}, "default_gates": ["tests", "review"]}"# + "\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "reviewed")
        return repo
    }

    /// A script agent `name` that logs `<name> <stage>` to `<root>/calls` and then runs `body`; its path quoted for a
    /// shell (the scratch directory's name has spaces).
    func roleAgent(_ name: String, _ body: String) throws -> String {
        "'" + (try agentScript(name, "#!/bin/sh\necho \"\(name) $AEE_STAGE\" >> '\(root.path)/calls'\n\(body)\n")) + "'"
    }

    /// `git aee task <title> --json` with the agents of `.aee/config.json`, expected to succeed: the task's id and record.
    func succeedWithConfiguredAgents() throws -> (id: String, record: [String: Any]) {
        let outcome = try run(Scratch.binary, ["task", "Fix it", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let record = try json(outcome.stdout)
        return (try #require(record["id"] as? String), record)
    }

    var calls: [String] {
        ((try? String(contentsOfFile: root.appendingPathComponent("calls").path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

@Suite("an agent per stage, and review gates")
struct ReviewTests {
    @Test("a planner, a worker and a reviewer: the review asks for changes once, its comments are the next iteration's context, then it approves")
    func reviewRequestsChangesThenApproves() throws {
        let repo = try Scratch.reviewed(agent: "{}")
        let planner = try repo.roleAgent("planner", #"echo '{"work_items": [{"id": "w", "title": "Write it"}], "cost_usd": 0.5}' > "$AEE_OUTPUT_FILE""#)
        let worker = try repo.roleAgent("worker", #"grep -q 'must say two' "$AEE_PROMPT_FILE" && echo two > out.txt || echo one > out.txt"#)
        let reviewer = try repo.roleAgent("reviewer", """
            cp "$AEE_DIFF_FILE" '\(repo.root.path)/diff-'"$AEE_ITERATION"
            echo 'left by the reviewer' > reviewer-was-here.txt
            if grep -q '^+two' "$AEE_DIFF_FILE"; then
              echo '{"verdict": "approve", "comments": ["fine"], "cost_usd": 0.25}' > "$AEE_OUTPUT_FILE"
            else
              echo '{"verdict": "request_changes", "comments": ["out.txt says one; it must say two"], "cost_usd": 0.25}' > "$AEE_OUTPUT_FILE"
            fi
            """)
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": "\#(worker)", "plan": "\#(planner)", "review": {"command": "\#(reviewer)"}}, "gates": {"tests": {"run": "test -f out.txt"}, "review": {"builtin": "review"}}, "default_gates": ["tests", "review"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "roles")
        let (id, record) = try repo.succeedWithConfiguredAgents()
        #expect(record["state"] as? String == "SUCCEEDED" && record["iteration"] as? Int == 2)
        #expect(repo.calls == ["planner plan", "worker execute", "reviewer review", "planner plan", "worker execute", "reviewer review"])
        // The reviewer saw the attempt's change against the task's base, not the records.
        let diff = try String(contentsOfFile: repo.root.appendingPathComponent("diff-1").path, encoding: .utf8)
        #expect(diff.contains("+++ b/out.txt") && diff.contains("+one") && !diff.contains(".aee/"))
        let failure = try repo.artifact(id, "iterations/1/failure_context.json")
        let gates = try #require(failure["failed_gates"] as? [[String: Any]])
        #expect(gates.first?["gate"] as? String == "review")
        #expect(gates.first?["output_tail"] as? String == "changes requested:\n- out.txt says one; it must say two\n")
        let results = try #require(try repo.artifact(id, "iterations/2/gate_results.json")["results"] as? [[String: Any]])
        let review = try #require(results.first { $0["gate"] as? String == "review" })
        #expect(review["status"] as? String == "passed" && (review["usage"] as? [String: Any])?["cost_usd"] as? Double == 0.25)
        #expect(((record["usage"] as? [String: Any])?["cost_usd"] as? Double) == 1.5)
        // What the reviewer left in the workspace went nowhere.
        #expect(try !repo.git("ls-tree", "-r", "--name-only", "aee/\(id)").contains("reviewer-was-here"))
        #expect(try repo.git("show", "aee/\(id):out.txt") == "two\n")
        #expect(try repo.fsckIsClean())
    }

    @Test("a review gate whose reviewer is the agent doing the work is refused before anything is written, unless allow_self_review")
    func selfReview() throws {
        let repo = try Scratch.reviewed(agent: "{}")
        let agent = try repo.roleAgent("agent", """
            case "$AEE_STAGE" in
              review) echo '{"verdict": "approve"}' > "$AEE_OUTPUT_FILE" ;;
              execute) echo one > out.txt ;;
            esac
            """)
        let refs = try repo.refs()
        let refused = try repo.aee("task", "Fix it", "--agent", agent)
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: gate 'review' would have the agent that does the work ("), "\(refused.stderr)")
        #expect(refused.stderr.contains("hint: name another agent for the review"))
        #expect(try repo.refs() == refs)
        #expect(repo.calls.isEmpty)

        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": null}, "gates": {"tests": {"run": "test -f out.txt"}, "review": {"builtin": "review", "allow_self_review": true}}, "default_gates": ["tests", "review"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "self review allowed")
        let (_, record) = try repo.succeed(agent: agent)
        #expect(record["state"] as? String == "SUCCEEDED")
        #expect(repo.calls.last == "agent review")
    }

    @Test("with --agents each attempt's agent plans and executes whatever the config names; one that is also the reviewer is refused")
    func attemptsAndReview() throws {
        let repo = try Scratch.reviewed(agent: "{}")
        let body = #"[ "$AEE_STAGE" = plan ] && exit 0; if [ "$AEE_STAGE" = review ]; then echo '{"verdict": "approve"}' > "$AEE_OUTPUT_FILE"; else echo one > out.txt; fi"#
        let (executor, reviewer) = (try repo.roleAgent("executor", body), try repo.roleAgent("reviewer", body))
        // The first attempt's work fails the tests, so both attempts execute; the second's passes.
        let (first, second) = (try repo.roleAgent("first", #"[ "$AEE_STAGE" = plan ] && exit 0; true"#), try repo.roleAgent("second", body))
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"execute": {"command": "\#(executor)"}, "review": {"command": "\#(reviewer)"}}, "gates": {"tests": {"run": "test -f out.txt"}, "review": {"builtin": "review"}}, "default_gates": ["tests", "review"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "roles")
        let refs = try repo.refs()
        let refused = try repo.aee("task", "Fix it", "--trust", "--agents", "\(first),\(reviewer)")
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: gate 'review' would have the agent that does the work ("), "\(refused.stderr)")
        #expect(try repo.refs() == refs)
        #expect(repo.calls.isEmpty)

        let outcome = try repo.run(Scratch.binary, ["task", "Fix it", "--json", "--trust", "--agents", "\(first),\(second)"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let calls = repo.calls
        #expect(calls.contains("first execute") && calls.contains("second execute"), "\(calls)")
        #expect(!calls.contains { $0.hasPrefix("executor") }, "the attempts' own agents execute: \(calls)")
        #expect(calls.contains("reviewer review"))
        #expect(!calls.contains("first review") && !calls.contains("second review"))
    }

    @Test("a reviewer that gives no verdict fails the gate, saying so; outside a task a review gate is skipped, and a tree a task's review approved passes")
    func noVerdictAndOutsideATask() throws {
        let repo = try Scratch.reviewed(agent: "{}")
        let worker = try repo.roleAgent("worker", "echo one > out.txt")
        let silent = try repo.roleAgent("silent", "echo 'looks good to me'")
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": "\#(worker)", "review": "\#(silent)"}, "gates": {"tests": {"run": "test -f out.txt"}, "review": {"builtin": "review"}}, "default_gates": ["tests", "review"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "silent reviewer")
        let outcome = try repo.aee("task", "Fix it", "--max-iterations", "1")
        #expect(outcome.status == 1)
        let id = try repo.onlyTaskID()
        let failed = try #require((try repo.artifact(id, "iterations/1/failure_context.json")["failed_gates"] as? [[String: Any]])?.first)
        #expect((failed["output_tail"] as? String)?.hasPrefix("the reviewing agent gave no verdict: ") == true, "\(failed)")

        // Here, in the working tree, nothing is there to review.
        try repo.write("out.txt", "one\n")
        let gate = try repo.aee("gate", "review")
        #expect(gate.status == 1)
        #expect(gate.stdout.contains("review") && gate.stdout.contains("SKIPPED"), "\(gate.stdout)")

        // A reviewer that approves: its pass is remembered for the tree, which the same tree checked out then has.
        let approver = try repo.roleAgent("approver", #"echo '{"verdict": "approve"}' > "$AEE_OUTPUT_FILE""#)
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": "\#(worker)", "review": "\#(approver)"}, "gates": {"tests": {"run": "test -f out.txt"}, "review": {"builtin": "review"}}, "default_gates": ["tests", "review"]}"# + "\n")
        try FileManager.default.removeItem(atPath: repo.directory.appendingPathComponent("out.txt").path)
        try repo.git("commit", "-q", "-am", "approving reviewer")
        let (approved, _) = try repo.succeedWithConfiguredAgents()
        try repo.git("merge", "-q", "--ff-only", "aee/\(approved)")
        let again = try repo.aee("gate", "review")
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    }
}
