import Foundation
import Testing

extension Scratch {
    /// An agent whose plan is `plan` (the `work_items` JSON array) and whose execute stage runs `body` with `$item` set
    /// to the work item's id, each call's start and end stamped (`<item> start|end <seconds>`) in `<marks>/stamps` and
    /// its prompt's mention of a conflict counted in `<marks>/told`.
    func itemsAgent(plan: String, _ body: String) throws -> (agent: String, marks: String) {
        let marks = root.appendingPathComponent("marks").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        let agent = try agentScript("items", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
              echo '{"work_items": \(plan)}' > "$AEE_OUTPUT_FILE"
              exit 0
            fi
            item=$(tr -d ' \\n' < "$AEE_WORK_ITEM_FILE" | sed 's/.*"id":"\\([a-z]*\\)".*/\\1/')
            echo "$item start $(date +%s.%N)" >> '\(marks)/stamps'
            grep -q 'conflicted with' "$AEE_PROMPT_FILE" && echo "$item" >> '\(marks)/told'
            \(body)
            status=$?
            echo "$item end $(date +%s.%N)" >> '\(marks)/stamps'
            exit $status

            """)
        return ("'\(agent)'", marks)
    }

    /// The stamps `itemsAgent` wrote: for each item, the start and end of each of its calls, in order.
    func stamps(_ marks: String) throws -> [String: [(start: Double, end: Double)]] {
        var calls: [String: [(start: Double, end: Double)]] = [:]
        for line in try String(contentsOfFile: marks + "/stamps", encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            let (item, time) = (String(parts[0]), Double(parts[2])!)
            if parts[1] == "start" { calls[item, default: []].append((time, .infinity)) } else { calls[item]![calls[item]!.count - 1].end = time }
        }
        return calls
    }

    /// The parents of `commit`, as git lists them.
    func parents(_ commit: String) throws -> [String] {
        Array(try git("rev-list", "--parents", "-n", "1", commit).split(separator: " ").dropFirst().map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
    }

    /// The commit of the attempt branch's history whose subject is `subject` (`work_item_done: B`).
    func commit(_ subject: String, on branch: String) throws -> String {
        let lines = try git("log", "--format=%H %s", branch).split(separator: "\n")
        return String(try #require(lines.first { $0.hasSuffix(subject) }?.prefix(40)))
    }
}

/// Three items, the third needing the first two, each writing `<item>.txt`; the gate wants all three.
private let abcPlan = #"[{"id": "a", "title": "A", "depends_on": []}, {"id": "b", "title": "B", "depends_on": []}, {"id": "c", "title": "C", "depends_on": ["a", "b"]}]"#

/// A repository whose gate passes when `a.txt`, `b.txt` and `c.txt` are there.
private func abcRepository() throws -> Scratch {
    try calculatorRepository(fixed: true, gates: #""tests": {"run": "test -f a.txt && test -f b.txt && test -f c.txt"}"#)
}

@Suite("work items side by side (--jobs)")
struct ParallelTests {
    @Test("two independent items run at once and the one needing both after; the wave is a merge of their commits")
    func independentItemsOverlap() throws {
        let repo = try abcRepository()
        let (agent, marks) = try repo.itemsAgent(plan: abcPlan, #"sleep 1; echo "$item" > "$item.txt""#)
        let (id, record) = try repo.succeed(agent: agent, "--jobs", "2")
        #expect(record["state"] as? String == "SUCCEEDED")
        let calls = try repo.stamps(marks)
        let (a, b, c) = (try #require(calls["a"]?.first), try #require(calls["b"]?.first), try #require(calls["c"]?.first))
        #expect(a.start < b.end && b.start < a.end, "a and b overlapped: \(a), \(b)")
        #expect(c.start >= max(a.end, b.end), "c ran after a and b: \(c)")

        // The attempt: planned, then a and b each on the plan commit, merged by one commit whose parents they are,
        // then c on the merge. git log --graph shows the fan-out.
        let attempt = "aee/\(id)"
        let planned = try repo.commit("planned: Fix it", on: attempt)
        let (commitA, commitB) = (try repo.commit("work_item_done: A", on: attempt), try repo.commit("work_item_done: B", on: attempt))
        #expect(try repo.parents(commitA) == [planned] && repo.parents(commitB) == [planned])
        let merge = try repo.commit("work_items_merged: Fix it", on: attempt)
        #expect(try repo.parents(merge) == [commitA, commitB])
        #expect(try repo.parents(try repo.commit("work_item_done: C", on: attempt)) == [merge])
        #expect(try repo.git("show", "\(merge):a.txt") == "a\n" && repo.git("show", "\(merge):b.txt") == "b\n")
        // Every event once, in plan order within the wave, each paired with its own commit by git aee log.
        let log = try repo.aee("log", id).stdout.split(separator: "\n")
        let items = log.filter { $0.contains("work_item_done") || $0.contains("work_items_merged") }.map { line in (String(line.prefix(7)), line.contains("work_item=a") ? "a" : line.contains("work_item=b") ? "b" : line.contains("work_items=") ? "merge" : "c") }
        #expect(items.map(\.1) == ["a", "b", "merge", "c"])
        #expect(items.map(\.0) == [commitA, commitB, merge, try repo.commit("work_item_done: C", on: attempt)].map { String($0.prefix(7)) })
        // Nothing is left: no item branch, no workspace beside the task's.
        #expect(try !repo.refs().contains("-item-"))
        let left = (try? FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot + "/" + (FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first ?? ""))) ?? []
        #expect(!left.contains { $0.hasPrefix(id) }, "\(left)")
        #expect(try repo.fsckIsClean())
    }

    @Test("without --jobs, or with a plan that names no dependencies, items run one by one as before: no merge")
    func serialByDefault() throws {
        let repo = try abcRepository()
        let (agent, marks) = try repo.itemsAgent(plan: abcPlan, #"echo "$item" > "$item.txt""#)
        let (id, _) = try repo.succeed(agent: agent)
        let calls = try repo.stamps(marks)
        #expect(try #require(calls["b"]?.first).start >= (try #require(calls["a"]?.first)).end)
        #expect(try !repo.git("log", "--format=%s", "aee/\(id)").contains("work_items_merged"))
        let task = "aee/\(id)"
        #expect(try repo.parents(try repo.commit("work_item_done: C", on: task)) == [try repo.commit("work_item_done: B", on: task)])
    }

    @Test("items that change the same lines: the later ones run again on the merged work, told of the conflict; a conflict again fails the iteration with reason conflict")
    func conflictRunsAgainThenFails() throws {
        let repo = try abcRepository()
        let plan = #"[{"id": "a", "title": "A", "depends_on": []}, {"id": "b", "title": "B", "depends_on": []}, {"id": "c", "title": "C", "depends_on": []}]"#
        let (agent, marks) = try repo.itemsAgent(plan: plan, #"echo "$item" > same.txt"#)
        let outcome = try repo.aee("task", "Fix it", "--agent", agent, "--jobs", "3", "--max-iterations", "1")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("work items run side by side conflicted: c with b in same.txt"), "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        // a merged; b and c conflicted, ran once more (told so), and conflicted with each other.
        #expect(try repo.stamps(marks).mapValues(\.count) == ["a": 1, "b": 2, "c": 2])
        #expect(try String(contentsOfFile: marks + "/told", encoding: .utf8).split(separator: "\n").sorted() == ["b", "c"])
        let failure = try repo.artifact(id, "iterations/1/failure_context.json")
        #expect(failure["reason"] as? String == "conflict")
        let conflicts = try #require(failure["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 1 && conflicts[0]["work_item"] as? String == "c" && conflicts[0]["files"] as? [String] == ["same.txt"]
                && conflicts[0]["with"] as? [String] == ["b"])
        let events = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl")
        #expect(events.contains(#""conflicts":"b,c""#) && events.contains(#""failure":"conflict""#))
        // Every commit of every item stays reachable from the task branch: 3 first runs and 2 second runs.
        #expect(try repo.git("log", "--format=%s", "aee/\(id)").split(separator: "\n").filter { $0.hasPrefix("aee(\(id)): work_item_done") }.count == 5)
        #expect(try repo.fsckIsClean())
    }

    @Test("a conflict the second run resolves: the item's change lands on top of the merged work and the task succeeds")
    func conflictResolvedBySecondRun() throws {
        let repo = try abcRepository()
        let plan = #"[{"id": "a", "title": "A", "depends_on": []}, {"id": "b", "title": "B", "depends_on": []}, {"id": "c", "title": "C", "depends_on": ["a", "b"]}]"#
        let (agent, marks) = try repo.itemsAgent(plan: plan, #"echo "$item" > "$item.txt"; echo "$item" >> same.txt"#)
        let (id, record) = try repo.succeed(agent: agent, "--jobs", "2")
        #expect(record["state"] as? String == "SUCCEEDED")
        #expect(try String(contentsOfFile: marks + "/told", encoding: .utf8) == "b\n")
        #expect(try repo.git("show", "aee/\(id):same.txt") == "a\nb\nc\n")
    }

    @Test("a failing item keeps the waiting ones from starting and lets the running one finish; --fail-fast=kill stops it")
    func failFast() throws {
        let plan = #"[{"id": "a", "title": "A", "depends_on": []}, {"id": "b", "title": "B", "depends_on": []}, {"id": "c", "title": "C", "depends_on": []}]"#
        for kill in [false, true] {
            let repo = try abcRepository()
            let (agent, marks) = try repo.itemsAgent(plan: plan, #"if [ "$item" = a ]; then exit 1; fi; sleep 2; echo "$item" > "$item.txt""#)
            let outcome = try repo.run(Scratch.binary, ["task", "Fix it", "--agent", agent, "--jobs", "2", "--max-iterations", "1"] + (kill ? ["--fail-fast", "kill"] : []))
            #expect(outcome.status == 1, "\(outcome.stderr)")
            let id = try repo.onlyTaskID()
            let summary = try repo.artifact(id, "iterations/1/work_items_summary.json")
            let statuses = (summary["work_items"] as? [[String: Any]])?.map { $0["status"] as? String }
            #expect(statuses == ["failed", kill ? "killed" : "done", "not_run"], "kill: \(kill)")
            #expect(try repo.stamps(marks)["c"] == nil)
            let failure = try repo.artifact(id, "iterations/1/failure_context.json")
            #expect((failure["agent"] as? [String: Any])?["work_item"] as? String == "a")
            // The work b did before it ended is committed and merged, killed or not.
            #expect(try repo.git("log", "--format=%s", "aee/\(id)").contains("work_items_merged"))
            #expect(try repo.fsckIsClean())
        }
    }

    @Test("kill -9 mid-wave, then resume: the item that finished beside is not run again, the one under way is, and the wave merges")
    func killMidWaveThenResume() throws {
        let repo = try abcRepository()
        try repo.git("config", "aee.jobs", "2")
        let marks = repo.root.appendingPathComponent("marks").path
        // b hangs the first time (its sleep's pid in <marks>/child) once a is committed on its branch.
        let (agent, _) = try repo.itemsAgent(plan: abcPlan, """
            if [ "$item" = b ] && [ ! -e '\(marks)/b-once' ]; then
              touch '\(marks)/b-once'
              until git -C '\(repo.directory.path)' for-each-ref --format='%(subject)' refs/heads/aee/ | grep -q 'work_item_done: A'; do sleep 0.05; done
              sleep 300 &
              echo $! > '\(marks)/child'
              touch '\(marks)/in-b'
              wait
            fi
            echo "$item" > "$item.txt"
            """)
        let id = try #require(try repo.queue(1).first)
        try repo.killWorkerInItemB(["worker", "--agent", agent], marks: marks)
        // a's commit waits on its own branch beside the attempt; b's names the attempt's tip (started).
        #expect(try repo.git("log", "-1", "--format=%s", "aee/\(id)-attempt-1-item-a") == "aee(\(id)): work_item_done: A\n")
        #expect(try repo.git("rev-parse", "aee/\(id)-attempt-1-item-b") == repo.git("rev-parse", "aee/\(id)-attempt-1"))
        let resumed = try repo.aee("resume", id, "--agent", agent)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try repo.stamps(marks).mapValues(\.count) == ["a": 1, "b": 2, "c": 1], "a was committed before the kill and must not run again")
        let merge = try repo.commit("work_items_merged: Make calc add 1", on: "aee/\(id)")
        #expect(try repo.parents(merge).count == 2)
        #expect(try !repo.refs().contains("-item-"))
        #expect(try repo.git("show", "aee/\(id):b.txt") == "b\n")
        #expect(try repo.fsckIsClean())
    }
}
