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
            // The work b did before it ended is committed and merged, killed or not; c, never started, has no branch.
            #expect(try repo.git("log", "--format=%s", "aee/\(id)").contains("work_items_merged"))
            #expect(try !repo.refs().contains("-item-"))
            #expect(try repo.fsckIsClean())
        }
    }

    @Test("with --fail-fast=kill the iteration's failure is the item that failed, not the one it stopped")
    func killBlamesTheFailure() throws {
        let plan = #"[{"id": "a", "title": "A", "depends_on": []}, {"id": "b", "title": "B", "depends_on": []}]"#
        let repo = try abcRepository()
        let (agent, _) = try repo.itemsAgent(plan: plan, #"if [ "$item" = b ]; then sleep 1; echo "b broke" >&2; exit 1; fi; sleep 30; echo "$item" > "$item.txt""#)
        let outcome = try repo.run(Scratch.binary, ["task", "Fix it", "--agent", agent, "--jobs", "2", "--max-iterations", "1", "--fail-fast", "kill"])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        let statuses = (try repo.artifact(id, "iterations/1/work_items_summary.json")["work_items"] as? [[String: Any]])?.map { $0["status"] as? String }
        #expect(statuses == ["killed", "failed"])
        let failure = try repo.artifact(id, "iterations/1/failure_context.json")
        let agentFailure = try #require(failure["agent"] as? [String: Any])
        #expect(agentFailure["work_item"] as? String == "b")
        #expect((agentFailure["output_tail"] as? String)?.contains("b broke") == true)
    }

    @Test("kill -9 mid-wave, then resume: the item that finished beside is not run again, the one under way is, and the wave merges",
          arguments: [true, false])
    func killMidWaveThenResume(sameJobs: Bool) throws {
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
        // Resumed without --jobs, the dead run's wave is taken up all the same.
        if !sameJobs { try repo.git("config", "--unset", "aee.jobs") }
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

@Suite("attempts side by side (--attempts, --agents)")
struct AttemptRaceTests {
    /// A repository whose gate passes when out.txt says `pass...`.
    static func repository() throws -> Scratch {
        try calculatorRepository(fixed: true, gates: #""tests": {"run": "grep -q '^pass' out.txt"}"#)
    }

    /// An agent `name` that plans nothing (one work item), reports a cost of 0.25 per call, and executes `body`.
    static func agent(_ repo: Scratch, _ name: String, _ body: String) throws -> String {
        "'" + (try repo.agentScript(name, """
            #!/bin/sh
            echo '{"cost_usd": 0.25}' > "$AEE_OUTPUT_FILE"
            [ "$AEE_STAGE" = plan ] && exit 0
            echo "\(name) $AEE_ITERATION" >> '\(repo.root.path)/calls'
            grep -q 'made beside it, failed as well' "$AEE_PROMPT_FILE" && echo "\(name) told" >> '\(repo.root.path)/calls'
            \(body)

            """)) + "'"
    }

    @Test("best of three: the fast passing attempt wins, the slow one is stopped and kept on its branch, the failing one recorded; all their costs count")
    func fastestPassingWins() throws {
        let repo = try Self.repository()
        let failing = try Self.agent(repo, "failing", "echo no > out.txt; exit 1")
        let slow = try Self.agent(repo, "slow", "sleep 30; echo pass-slow > out.txt")
        let fast = try Self.agent(repo, "fast", "sleep 0.5; echo pass-fast > out.txt")
        let started = Date()
        let (id, record) = try repo.succeed(agent: failing, "--agents", [failing, slow, fast].joined(separator: ","))
        #expect(Date().timeIntervalSince(started) < 25, "the slow attempt was stopped, not waited for")
        #expect(record["state"] as? String == "SUCCEEDED" && record["iteration"] as? Int == 1)
        #expect(try repo.git("show", "aee/\(id):out.txt") == "pass-fast\n")
        let race = try repo.artifact(id, "iterations/1/attempts.json")
        #expect(race["winner"] as? Int == 3)
        let attempts = try #require(race["attempts"] as? [[String: Any]])
        #expect(attempts.map { $0["outcome"] as? String } == ["failed", "lost", "passed"])
        // The losers' work is committed, kept on their branches, and reachable from the task's history; the
        // winner's branch, merged, is gone as a passing attempt's always is.
        for attempt in attempts.prefix(2) {
            let branch = try #require(attempt["branch"] as? String)
            #expect(try repo.git("rev-parse", branch).trimmingCharacters(in: .whitespacesAndNewlines) == attempt["commit"] as? String)
            #expect(try repo.run("/usr/bin/git", ["merge-base", "--is-ancestor", branch, "aee/\(id)"]).status == 0)
        }
        #expect(try repo.git("log", "-1", "--format=%s", "aee/\(id)-attempt-1.2") == "aee(\(id)): work_item_killed: Fix it\n")
        #expect(try repo.run("/usr/bin/git", ["rev-parse", "--verify", "-q", "aee/\(id)-attempt-1.3"]).status != 0)
        let show = try repo.aee("show", id).stdout
        #expect(show.contains("attempt 2 lost") && show.contains("(aee/\(id)-attempt-1.2)") && show.contains("attempt 3 passed"), "\(show)")
        #expect(show.contains("1  passed, ") && show.contains("$1.50"), "\(show)")
        // 0.25 per call, each written as the call starts: three plans and three execute calls, the killed one's too.
        let usage = try #require(record["usage"] as? [String: Any])
        #expect(usage["cost_usd"] as? Double == 1.5)
        #expect(attempts.compactMap { ($0["usage"] as? [String: Any])?["cost_usd"] as? Double } == [0.5, 0.5, 0.5])
        #expect(try repo.fsckIsClean())
        let left = try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).flatMap {
            (try? FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot + "/" + $0)) ?? []
        }
        #expect(!left.contains { $0.hasPrefix(id) }, "\(left)")
    }

    @Test("none passes: the iteration fails with the first attempt's failure, carrying the others', which the next iteration's prompt tells")
    func nonePasses() throws {
        let repo = try Self.repository()
        let first = try Self.agent(repo, "first", "echo no > out.txt")
        let second = try Self.agent(repo, "second", "echo nope > out.txt")
        let outcome = try repo.aee("task", "Fix it", "--agents", "\(first),\(second)", "--max-iterations", "2")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        let failure = try repo.artifact(id, "iterations/1/failure_context.json")
        #expect(failure["reason"] as? String == "gates_failed")
        #expect((failure["attempts"] as? [[String: Any]])?.count == 1)
        #expect(repo.calls.filter { $0.hasSuffix("told") }.sorted() == ["first told", "second told"])
        #expect(try repo.artifact(id, "iterations/2/attempts.json")["winner"] is NSNull)
    }

    @Test("--max-cost counts what every attempt spends while they run")
    func budgetCountsAll() throws {
        let repo = try Self.repository()
        let first = try Self.agent(repo, "first", "echo no > out.txt")
        let second = try Self.agent(repo, "second", "echo nope > out.txt")
        let outcome = try repo.aee("task", "Fix it", "--agents", "\(first),\(second)", "--max-cost", "0.6")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        let record = try repo.artifact(id, "task.json")
        #expect(record["exit_reason"] as? String == "budget")
        // The end names what all spent, not what one attempt knew of when it stopped.
        let spent = try #require((record["usage"] as? [String: Any])?["cost_usd"] as? Double)
        #expect(record["exit_detail"] as? String == "the agents reported $\(String(format: "%.2f", spent)), over the $0.60 allowed", "\(record)")
        // Alone, each spent 0.50 of the 0.60; together they passed it, which stopped them before their gates.
        let attempts = try #require(try repo.artifact(id, "iterations/1/attempts.json")["attempts"] as? [[String: Any]])
        #expect(attempts.contains { $0["outcome"] as? String == "budget" }, "\(attempts)")
    }

    @Test("attempts side by side refuse what they cannot go with, before anything is written")
    func refusals() throws {
        let repo = try Self.repository()
        let refs = try repo.refs()
        let remote = try repo.aee("task", "Fix it", "--agent", "true", "--attempts", "2", "--remote", "origin")
        #expect(remote.status == 128 && remote.stderr.contains("attempts side by side (--attempts, --agents) cannot run with --remote"), "\(remote.stderr)")
        let mismatch = try repo.aee("task", "Fix it", "--agents", "true,true", "--attempts", "3")
        #expect(mismatch.status == 129, "\(mismatch.stderr)")
        #expect(try repo.refs() == refs)
    }
}
