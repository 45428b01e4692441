import Foundation
import Testing

/// A repository holding the demo's small program: `calc.sh` should add but subtracts, and `test.sh` says so.
func calculatorRepository(fixed: Bool = false, config extra: String = "", gates: String = #""tests": {"run": "./test.sh"}"#) throws -> Scratch {
    let repo = try Scratch()
    try repo.write("calc.sh", "#!/bin/sh\n# Adds two numbers.\necho $(($1 \(fixed ? "+" : "-") $2))\n")
    try repo.write("test.sh", """
        #!/bin/sh
        out=$(./calc.sh 2 3)
        if [ "$out" = 5 ]; then echo "ok: 2 + 3 = 5"; else echo "FAIL: ./calc.sh 2 3 printed $out, expected 5"; exit 1; fi

        """)
    try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": null, "timeout_seconds": 20}, "gates": {\#(gates)}, "default_gates": ["tests"]\#(extra)}"# + "\n")
    try repo.git("add", "-A")
    try repo.git("update-index", "--chmod=+x", "calc.sh", "test.sh")
    try repo.git("commit", "-q", "-m", "A calculator")
    try repo.git("checkout", "-q", "--", ".")
    return repo
}

/// The example agents shipped in `examples/agents`.
func exampleAgent(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/agents/\(name)").path
}

extension Scratch {
    /// The one task branch's id.
    func onlyTaskID() throws -> String {
        let ids = try git("for-each-ref", "--format=%(refname:lstrip=3)", "refs/heads/aee/").split(separator: "\n").filter { !$0.contains("-attempt-") }
        #expect(ids.count == 1, "task branches: \(ids)")
        return String(try #require(ids.first))
    }

    /// A file of the task's record directory at the tip of its branch, parsed.
    func artifact(_ id: String, _ path: String) throws -> [String: Any] {
        try json(try git("show", "aee/\(id):.aee/tasks/\(id)/\(path)"))
    }

    /// Everything the user sees of their checkout: HEAD, the index and the files, as `git status` reports them.
    func userState() throws -> String {
        try git("rev-parse", "HEAD") + git("symbolic-ref", "-q", "HEAD") + git("status", "--porcelain=v1", "--untracked-files=all")
            + git("ls-files", "-s")
    }

    /// Starts `git-aee` (or `executable`) in the background (stderr discarded unless piped), for tests that signal or race it.
    func start(_ arguments: [String], in directory: URL? = nil, stdout: Any? = nil, stderr: Any? = nil, executable: String = Scratch.binary) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? self.directory
        process.environment = environment
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// An agent script of the test's own, executable, beside the repository; returns its path.
    func agentScript(_ name: String, _ body: String) throws -> String {
        let path = root.appendingPathComponent(name).path
        try Data(body.utf8).write(to: URL(fileURLWithPath: path))
        try run("/bin/chmod", ["+x", path])
        return path
    }

    /// An agent that plans nothing and, executing, writes `work.txt`, then waits on a `sleep 300` child whose pid
    /// it leaves in `<marks>/child` before touching `<marks>/executing`.
    func slowAgent() throws -> (agent: String, marks: String) {
        let marks = root.appendingPathComponent("marks").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        let agent = try agentScript("slow-agent", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then exit 0; fi
            echo started > work.txt
            sleep 300 &
            echo $! > '\(marks)/child'
            touch '\(marks)/executing'
            wait

            """)
        return (agent, marks)
    }

    func taskBranches() throws -> [String] {
        try git("for-each-ref", "--format=%(refname)", "refs/heads/aee/").split(separator: "\n").map(String.init)
    }
}

/// Polls `condition` until it holds (true) or `seconds` pass (false).
func waitUntil(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return false
}

/// Whether `pid` has exited (a zombie waiting for init to reap it counts as gone).
func processIsGone(_ pid: String) -> Bool {
    waitUntil(seconds: 5) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }
}

@Suite("running tasks with the example agents")
struct RunTests {
    @Test("a task that passes in the first iteration: SUCCEEDED, exit 0, every step a commit, the user's checkout untouched")
    func firstIteration() throws {
        let repo = try calculatorRepository(fixed: true)
        let before = try repo.userState()
        let outcome = try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner"), "--json")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let record = try repo.json(outcome.stdout)
        #expect(record["state"] as? String == "SUCCEEDED")
        #expect(record["exit_reason"] as? String == "done")
        #expect(record["iteration"] as? Int == 1)
        let id = try repo.onlyTaskID()
        let events = try repo.git("log", "--topo-order", "--reverse", "--format=%(trailers:key=AEE-Event,valueonly)", "aee/\(id)").split(separator: "\n").map(String.init)
        #expect(events == ["created", "approved", "queued", "started", "planned", "work_item_done", "work_item_done", "verified", "iteration_passed", "succeeded"])
        let items = try repo.git("log", "--topo-order", "--format=%(trailers:key=AEE-Work-Item,valueonly)", "aee/\(id)").split(separator: "\n")
        #expect(items == ["fix-add", "read-code"])
        #expect(try repo.userState() == before)
        #expect(try repo.fsckIsClean())
        // The passing attempt is merged; its branch and the worktree are gone.
        #expect(try repo.taskBranches() == ["refs/heads/aee/\(id)"])
        #expect(try repo.git("worktree", "list").split(separator: "\n").count == 1)
    }

    @Test("the second iteration succeeds because the agent read the failure context; every artifact is valid JSON")
    func secondIteration() throws {
        let repo = try calculatorRepository()
        let before = try repo.userState()
        let outcome = try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner"))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("SUCCEEDED (done) after 2 iterations"))
        let id = try repo.onlyTaskID()
        let first = try repo.artifact(id, "iterations/1/work_item_fix-add.json")
        #expect(first["handoff_notes"] as? String == "first attempt, no failure context yet")
        let context = try repo.artifact(id, "iterations/1/failure_context.json")
        #expect((context["failed_gates"] as? [[String: Any]])?.first?["gate"] as? String == "tests")
        let second = try repo.artifact(id, "iterations/2/work_item_fix-add.json")
        #expect((second["handoff_notes"] as? String)?.contains("FAIL: ./calc.sh 2 3 printed -1, expected 5") == true)
        #expect(second["files_changed"] as? [String] == ["calc.sh"])
        let gates = try repo.artifact(id, "iterations/2/gate_results.json")
        #expect(gates["passed"] as? Bool == true)
        // The gates judged the code the task ends with: its final tree without the task records.
        let judged = try #require(gates["tree"] as? String)
        let index = ["GIT_INDEX_FILE": repo.root.appendingPathComponent("judged-index").path]
        for arguments in [["read-tree", "aee/\(id)"], ["rm", "-q", "-r", "--cached", ".aee/tasks"]] {
            #expect(try repo.run("/usr/bin/git", arguments, extraEnvironment: index).status == 0)
        }
        let finalCode = try repo.run("/usr/bin/git", ["write-tree"], extraEnvironment: index).stdout
        #expect(finalCode == judged + "\n")
        #expect(try repo.git("show", "aee/\(id):calc.sh").contains("$1 + $2"))

        let files = try repo.git("ls-tree", "-r", "--name-only", "aee/\(id)", ".aee/tasks/\(id)").split(separator: "\n").map(String.init)
        for name in ["open_plan.json", "work_items.json", "work_item_read-code.json", "work_item_fix-add.json", "work_items_summary.json", "gate_results.json"] {
            for iteration in [1, 2] {
                #expect(files.contains(".aee/tasks/\(id)/iterations/\(iteration)/\(name)"), "missing \(name) of iteration \(iteration)")
            }
        }
        for file in files {
            let text = try repo.git("show", "aee/\(id):\(file)")
            #expect(text.hasSuffix("\n"))
            if file.hasSuffix(".json") {
                _ = try repo.json(text)
            } else {
                for line in text.split(separator: "\n") { _ = try repo.json(String(line)) }
            }
        }
        #expect(try repo.userState() == before)
        #expect(try repo.fsckIsClean())
    }

    @Test("max_iterations: FAILED, every attempt on its own branch and reachable from the task's, first parents the lifecycle")
    func maxIterations() throws {
        let repo = try calculatorRepository()
        let outcome = try repo.aee("task", "Never fixed", "--agent", exampleAgent("garbage-json"), "--max-iterations", "2")
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("FAILED (max_iterations)"))
        let id = try repo.onlyTaskID()
        #expect(try repo.taskBranches() == ["refs/heads/aee/\(id)", "refs/heads/aee/\(id)-attempt-1", "refs/heads/aee/\(id)-attempt-2"])
        for attempt in [1, 2] {
            #expect(try repo.run("/usr/bin/git", ["merge-base", "--is-ancestor", "aee/\(id)-attempt-\(attempt)", "aee/\(id)"]).status == 0)
        }
        let lifecycle = try repo.git("log", "--first-parent", "--format=%(trailers:key=AEE-Event,valueonly)", "aee/\(id)").split(separator: "\n").reversed()
        #expect(Array(lifecycle) == ["created", "approved", "queued", "started", "iteration_failed", "iteration_failed", "failed"])
        let plan = try repo.artifact(id, "iterations/1/open_plan.json")
        #expect(plan["source"] as? String == "fallback")
        #expect((plan["problems"] as? [String])?.first?.contains("not valid JSON") == true)
        #expect(try repo.fsckIsClean())
    }

    @Test("runs that go nowhere stop after three iterations: the same failure each time is stalled, an agent failing every call is agent_error",
          arguments: [("garbage-json", "stalled"), ("always-fails", "agent_error")])
    func goingNowhere(agent: String, reason: String) throws {
        let repo = try calculatorRepository()
        let outcome = try repo.aee("task", "Never fixed", "--agent", exampleAgent(agent), "--json")
        #expect(outcome.status == 1)
        let record = try repo.json(outcome.stdout)
        #expect(record["exit_reason"] as? String == reason)
        #expect(record["iteration"] as? Int == 3)
    }

    @Test("an agent that needs a human blocks an autonomous task; a config demanding plan approval blocks it too")
    func blocked() throws {
        let repo = try calculatorRepository()
        let outcome = try repo.aee("task", "Ambiguous", "--agent", exampleAgent("needs-human"), "--json")
        #expect(outcome.status == 2)
        let record = try repo.json(outcome.stdout)
        #expect(record["state"] as? String == "BLOCKED")
        #expect(record["exit_reason"] as? String == "blocked")
        #expect(record["exit_detail"] as? String == "agent_needs_human")

        let strict = try calculatorRepository(config: #", "require_plan_approval": true"#)
        let approval = try strict.aee("task", "Needs sign-off", "--agent", exampleAgent("learner"), "--json")
        #expect(approval.status == 2)
        #expect(try strict.json(approval.stdout)["exit_detail"] as? String == "approval_required_in_autonomous_mode")
        // Nothing was executed: the only commit of the attempt is its plan.
        let id = try strict.onlyTaskID()
        #expect(try strict.git("log", "--format=%(trailers:key=AEE-Event,valueonly)", "aee/\(id)-attempt-1", "^aee/\(id)~2").contains("work_item") == false)
    }

    @Test("a hanging agent is stopped at its timeout; a flood of output keeps only the tail")
    func hangingAndFlooding() throws {
        let repo = try calculatorRepository()
        try repo.git("config", "aee.agentTimeout", "1")
        let hanging = try repo.aee("task", "Hang", "--agent", exampleAgent("hangs"), "--max-iterations", "1", "--json")
        #expect(hanging.status == 1)
        #expect(try repo.json(hanging.stdout)["exit_reason"] as? String == "max_iterations")
        let id = try repo.onlyTaskID()
        let plan = try repo.artifact(id, "iterations/1/open_plan.json")
        #expect((plan["agent"] as? [String: Any])?["status"] as? String == "timed_out")

        let flooded = try calculatorRepository(fixed: true)
        let flood = try flooded.aee("task", "Flood", "--agent", exampleAgent("floods"), "--json")
        #expect(flood.status == 0, "\(flood.stderr)")
        let floodID = try flooded.onlyTaskID()
        let item = try flooded.artifact(floodID, "iterations/1/work_item_task.json")
        let agent = try #require(item["agent"] as? [String: Any])
        // The kept 16 KiB start in one 8 MiB word: it goes whole, where a cut secret's remains would be.
        #expect(agent["output_tail"] as? String == "floods: done\n")
        #expect(agent["output_dropped_bytes"] as? Int == 8_388_608 + 1)
    }

    @Test("a task canceled while its attempt runs keeps what that attempt's calls spent in its usage")
    func canceledKeepsCost() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        let agent = try repo.agentScript("spends", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
                echo '{"work_items": [{"id": "a", "title": "A"}], "cost_usd": 0.25}' > "$AEE_OUTPUT_FILE"; exit 0
            fi
            touch '\(marks)/executing'; sleep 300 & wait
            """)
        let run = try repo.start(["task", "Spend then stop", "--agent", "'\(agent)'"])
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/executing") })
        let id = try repo.onlyTaskID()
        #expect(try repo.aee("cancel", id).status == 0)
        run.waitUntilExit()
        let record = try repo.artifact(id, "task.json")
        #expect(record["state"] as? String == "CANCELED")
        #expect((record["usage"] as? [String: Any])?["cost_usd"] as? Double == 0.25, "\(record)")
        #expect(try repo.aee("show", id).stdout.contains("usage      $0.25"))
    }

    @Test("the task's own time limit ends it as timeout; reported costs past --max-cost end it as budget")
    func timeoutAndBudget() throws {
        let slow = try calculatorRepository()
        let timed = try slow.aee("task", "Slow", "--agent", exampleAgent("hangs"), "--timeout", "1", "--json")
        #expect(timed.status == 1, "\(timed.stderr)")
        let timedRecord = try slow.json(timed.stdout)
        #expect(timedRecord["state"] as? String == "FAILED")
        #expect(timedRecord["exit_reason"] as? String == "timeout")
        #expect(try slow.fsckIsClean())

        let costly = try calculatorRepository()
        let agent = try costly.agentScript("costly-agent", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
                echo '{"work_items": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}], "cost_usd": 0.25}' > "$AEE_OUTPUT_FILE"
            else
                echo '{"cost_usd": 0.25, "turns": 2}' > "$AEE_OUTPUT_FILE"
            fi

            """)
        let spent = try costly.aee("task", "Costly", "--agent", "'\(agent)'", "--max-cost", "0.6", "--json")
        #expect(spent.status == 1, "\(spent.stderr)")
        let record = try costly.json(spent.stdout)
        #expect(record["exit_reason"] as? String == "budget")
        #expect(record["exit_detail"] as? String == "the agents reported $0.75, over the $0.60 allowed")
        #expect((record["usage"] as? [String: Any])?["cost_usd"] as? Double == 0.75)
        // The third work item never ran.
        let id = try costly.onlyTaskID()
        let summary = try costly.artifact(id, "iterations/1/work_items_summary.json")
        #expect((summary["work_items"] as? [[String: Any]])?.map { $0["status"] as? String } == ["done", "done", "not_run"])
    }

    @Test("usage no agent reported is unknown: null in the record, 'unknown' in show, never 0; reported costs add up exactly")
    func unknownUsage() throws {
        let repo = try calculatorRepository()
        let (id, record) = try repo.succeed(agent: try repo.executor("silent", fixCalculator))
        #expect((record["usage"] as? [String: Any])?["cost_usd"] is NSNull)
        #expect(try repo.aee("show", id).stdout.contains("usage      cost unknown, turns unknown (as the agents reported)"))
        // The plan reports 0.1, the work item 0.2: binary floating point would record 0.30000000000000004.
        let exact = try repo.agentScript("exact", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then echo '{"cost_usd": 0.1}' > "$AEE_OUTPUT_FILE"; exit 0; fi
            \(fixCalculator)
            echo '{"cost_usd": 0.2, "turns": 1}' > "$AEE_OUTPUT_FILE"
            """)
        let (summed, _) = try repo.succeed(agent: "'\(exact)'")
        #expect(try repo.git("show", "aee/\(summed):.aee/tasks/\(summed)/task.json").contains(#""cost_usd": 0.3,"#))
    }

    @Test("an agent's changes under .aee/ are refused and put back; its other changes are committed")
    func vandal() throws {
        let repo = try calculatorRepository()
        let outcome = try repo.aee("task", "Vandal", "--agent", exampleAgent("vandal"), "--max-iterations", "1")
        #expect(outcome.status == 1)
        let id = try repo.onlyTaskID()
        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        #expect((item["refused_changes"] as? [String])?.contains(".aee/config.json") == true)
        #expect(item["files_changed"] as? [String] == ["vandal.txt"])
        #expect(try repo.git("show", "aee/\(id):.aee/config.json") == (try repo.git("show", "HEAD:.aee/config.json")))
        #expect(try repo.git("ls-tree", "-r", "--name-only", "aee/\(id)").contains(".aee/tasks/\(id)/task.json"))
        #expect(try repo.fsckIsClean())
    }

    @Test("after each step the task's worktree is clean: HEAD is the step's commit, its records in place, deletions and refusals staged right")
    func worktreeBetweenSteps() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.appendingPathComponent("marks").path
        let agent = try repo.agentScript("inspecting-agent", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
                echo '{"work_items": [{"id": "one", "title": "Change"}, {"id": "two", "title": "Look"}]}' > "$AEE_OUTPUT_FILE"
                exit 0
            fi
            if grep -q '"one"' "$AEE_WORK_ITEM_FILE"; then
                echo new > new.txt
                rm test.sh
                mkdir calc.sh.d && mv calc.sh calc.sh.d/calc.sh
                echo forged > .aee/config.json
                exit 0
            fi
            mkdir -p '\(marks)'
            git status --porcelain=v1 --untracked-files=all > '\(marks)/status'
            git rev-parse HEAD > '\(marks)/head'
            ls .aee/tasks/$AEE_TASK_ID/iterations/1 > '\(marks)/records'

            """)
        let outcome = try repo.aee("task", "Inspect", "--agent", "'\(agent)'", "--max-iterations", "1")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        #expect(try String(contentsOfFile: marks + "/status", encoding: .utf8) == "")
        let first = try repo.git("log", "--format=%H", "--grep=^AEE-Work-Item: one", "aee/\(id)-attempt-1")
        #expect(try String(contentsOfFile: marks + "/head", encoding: .utf8) == first)
        #expect(try String(contentsOfFile: marks + "/records", encoding: .utf8) == "open_plan.json\nwork_item_one.json\nwork_items.json\n")
        let item = try repo.artifact(id, "iterations/1/work_item_one.json")
        #expect(item["files_changed"] as? [String] == ["calc.sh", "calc.sh.d/calc.sh", "new.txt", "test.sh"])
        #expect(item["refused_changes"] as? [String] == [".aee/config.json"])
        let shown = try repo.aee("show", id).stdout
        #expect(shown.contains("\n       put back (git aee's records, or files git fsck refuses): .aee/config.json\n"), "\(shown)")
        #expect(try repo.git("ls-tree", "-r", "--name-only", first.trimmingCharacters(in: .whitespacesAndNewlines)).contains("calc.sh.d/calc.sh\n"))
        // Not even a dangling object: every tree written is one a commit uses.
        #expect(try repo.git("fsck", "--strict", "--no-progress") == "")
    }

    @Test("SIGINT mid-work-item: the agent's group is killed, a final commit records it, the workspace is kept, exit 130; run continues it")
    func interrupt() throws {
        let repo = try calculatorRepository()
        let (agent, marks) = try repo.slowAgent()
        let before = try repo.userState()

        let output = Pipe()
        let process = try repo.start(["task", "Slow", "--agent", "'\(agent)'", "--json"], stdout: output)
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/executing") })
        kill(process.processIdentifier, SIGINT)
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let record = try repo.json(String(decoding: stdout, as: UTF8.self))
        #expect(record["state"] as? String == "BLOCKED")
        #expect(record["exit_reason"] as? String == "interrupted")
        let child = try String(contentsOfFile: marks + "/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(processIsGone(child), "the agent's child survived")

        let id = try repo.onlyTaskID()
        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        #expect((item["agent"] as? [String: Any])?["status"] as? String == "killed")
        #expect(try repo.git("show", "aee/\(id):work.txt") == "started\n")
        let events = try repo.git("log", "-2", "--format=%(trailers:key=AEE-Event,valueonly)", "aee/\(id)").split(separator: "\n")
        #expect(events == ["blocked", "iteration_interrupted"])
        let kept = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first { $0.hasPrefix("repo-") })
        #expect(try String(contentsOfFile: "\(repo.workspaceRoot)/\(kept)/\(id)/work.txt", encoding: .utf8) == "started\n", "the workspace is kept")
        #expect(try repo.userState() == before)
        #expect(try repo.fsckIsClean())

        // `run` takes the blocked task up again, in a new iteration.
        let resumed = try repo.aee("run", id, "--agent", exampleAgent("learner"), "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try repo.json(resumed.stdout)["iteration"] as? Int == 3)
    }

    @Test("interactive mode on a terminal: a rejected plan blocks the task (exit 2) and writes no work; approved, it runs")
    func interactive() throws {
        let repo = try calculatorRepository(fixed: true)
        // script(1) gives the tool a terminal; what it reads from its standard input is typed there.
        func onTerminal(_ arguments: String, typing answer: String) throws -> Outcome {
            try repo.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' \(arguments)", "/dev/null"], stdin: answer)
        }
        let agent = "--agent '\(exampleAgent("learner"))'"
        let rejected = try onTerminal("task Ask --mode interactive \(agent)", typing: "n\n")
        #expect(rejected.status == 2, "\(rejected.stdout)")
        #expect(rejected.stdout.contains("Execute this plan? [y/N]"))
        #expect(rejected.stdout.contains("[fix-add] Fix the arithmetic in calc.sh"))
        let id = try repo.onlyTaskID()
        #expect(try repo.artifact(id, "task.json")["exit_detail"] as? String == "plan_rejected")
        #expect(try repo.git("log", "--format=%(trailers:key=AEE-Work-Item,valueonly)", "aee/\(id)").trimmingCharacters(in: .whitespacesAndNewlines) == "")

        let approved = try onTerminal("run \(id) \(agent)", typing: "y\n")
        #expect(approved.status == 0, "\(approved.stdout)")
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "SUCCEEDED")
    }

    @Test("--merge fast-forwards the branch the task started from, files included; a branch that moved is refused, exit 4")
    func merge() throws {
        let repo = try calculatorRepository(fixed: true)
        let outcome = try repo.aee("task", "Merge me", "--agent", exampleAgent("learner"), "--merge")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        #expect(try repo.git("rev-parse", "main") == (try repo.git("rev-parse", "aee/\(id)")))
        #expect(outcome.stdout.hasSuffix("main fast-forwarded to \(try repo.git("rev-parse", "main").prefix(12))\n"), "\(outcome.stdout)")
        #expect(try repo.git("status", "--porcelain") == "")
        #expect(FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(".aee/tasks/\(id)/task.json").path))
        // Merged, its branch may go; `show` reads the record from HEAD and does not name a branch that is not there.
        #expect(try repo.aee("show", id).stdout.contains("branch     aee/\(id)\n"))
        try repo.git("branch", "-q", "-D", "aee/\(id)")
        let shown = try repo.aee("show", id)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("branch     none (deleted; the record is read from HEAD's history)\n"), "\(shown.stdout)")

        let moved = try calculatorRepository()
        try moved.write("calc.sh", "#!/bin/sh\n# Adds two numbers.\necho $(($1 + $2))\n")
        // While the task runs, the user commits on main.
        let agent = try moved.agentScript("commits-meanwhile",
                                          "#!/bin/sh\n[ \"$AEE_STAGE\" = plan ] && exit 0\ncd '\(moved.directory.path)' && git commit -qam 'meanwhile'\n")
        let refused = try moved.aee("task", "Too late", "--agent", "'\(agent)'", "--merge", "--gate", "doctor")
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("error: cannot fast-forward main"))
        #expect(try moved.git("log", "-1", "--format=%s", "main") == "meanwhile\n")
    }

    @Test("--merge that cannot finish (git holds the index) leaves the user's tree and branch exactly as they were, exit 4")
    func mergeAllOrNothing() throws {
        let repo = try calculatorRepository()
        let before = try repo.git("rev-parse", "main")
        // The user's `git commit -a` waits in its editor, holding the index.
        let lock = repo.directory.appendingPathComponent(".git/index.lock").path
        try Data().write(to: URL(fileURLWithPath: lock))
        let outcome = try repo.aee("task", "Merge me", "--agent", exampleAgent("learner"), "--merge")
        #expect(outcome.status == 4, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("error: cannot fast-forward main"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("index.lock exists"), "\(outcome.stderr)")
        try FileManager.default.removeItem(atPath: lock)
        #expect(try repo.git("rev-parse", "main") == before)
        #expect(try repo.git("status", "--porcelain", "--ignored") == "")
        #expect(try repo.git("show", "HEAD:calc.sh") == (try String(contentsOf: repo.directory.appendingPathComponent("calc.sh"), encoding: .utf8)))
        // The task itself succeeded; its work waits on its branch.
        let id = try repo.onlyTaskID()
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["state"] as? String == "SUCCEEDED")
    }

    @Test("--merge where the task turns a folder holding untracked or ignored files into a file is refused as git refuses it, before a file is touched, exit 4; a folder removed, or holding empty folders only, merges as with git")
    func mergeWouldLoseUntracked() throws {
        for inside in ["notes.txt", "build/out.o"] {
            let repo = try calculatorRepository()
            try repo.write("dir/a.txt", "a\n")
            try repo.git("add", "dir/a.txt")
            try repo.git("commit", "-q", "-m", "a folder")
            try repo.write("dir/" + inside, "mine\n")
            if inside.hasPrefix("build/") { try repo.write(".git/info/exclude", "build/\n") }
            let before = try repo.git("rev-parse", "main")
            let status = try repo.git("status", "--porcelain", "--ignored")
            let agent = try repo.executor("folder-to-file", "rm -rf dir; echo file > dir; \(fixCalculator)")
            let outcome = try repo.aee("task", "A file now", "--agent", agent, "--merge")
            #expect(outcome.status == 4, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("error: cannot fast-forward main: the task makes the folder dir a file, and it holds files git does not track (or ignores); move them away"), "\(outcome.stderr)")
            #expect(try repo.git("rev-parse", "main") == before)
            #expect(try repo.git("status", "--porcelain", "--ignored") == status, "nothing touched")
            // git says the same of the same merge.
            let id = try repo.onlyTaskID()
            let theirs = try repo.run("/usr/bin/git", ["merge", "--ff-only", "aee/\(id)"])
            #expect(theirs.status != 0 && theirs.stderr.contains("would lose untracked files"), "\(theirs.stderr)")
        }
        // Where git goes on, so does --merge: a folder only removed keeps what git does not track; empty folders go.
        for (agent, left) in [("rm -rf dir", "dir/build/out.o"), ("rm -rf dir; echo file > dir", "")] {
            let repo = try calculatorRepository()
            try repo.write("dir/a.txt", "a\n")
            try repo.git("add", "dir/a.txt")
            try repo.git("commit", "-q", "-m", "a folder")
            if left.isEmpty {
                try FileManager.default.createDirectory(atPath: repo.directory.appendingPathComponent("dir/empty/deeper").path, withIntermediateDirectories: true)
            } else {
                try repo.write(left, "mine\n")
                try repo.write(".git/info/exclude", "build/\n")
            }
            let outcome = try repo.aee("task", "No folder", "--agent", try repo.executor("remover", "\(agent); \(fixCalculator)"), "--merge")
            #expect(outcome.status == 0, "\(agent): \(outcome.stderr)")
            #expect(try repo.git("status", "--porcelain") == "")
            #expect(left.isEmpty || FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(left).path), "the ignored file stays, as git leaves it")
        }
    }

    @Test("--merge whose checkout fails half-way (a file it cannot replace) puts back the files it wrote and leaves the branch, exit 4",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr"), "chattr is not installed"))
    func mergeStoppedHalfWay() throws {
        let repo = try calculatorRepository()
        try repo.write("z/last.txt", "last\n")
        try repo.git("add", "z/last.txt")
        try repo.git("commit", "-q", "-m", "a file checked out after calc.sh")
        let before = try repo.git("rev-parse", "main")
        let agent = try repo.executor("two-files", "\(fixCalculator); echo changed > z/last.txt")
        // The checkout writes calc.sh, then cannot replace z/last.txt.
        let immutable = repo.directory.appendingPathComponent("z/last.txt").path
        try #require(try repo.run("/usr/bin/chattr", ["+i", immutable]).status == 0)
        defer { _ = try? repo.run("/usr/bin/chattr", ["-i", immutable]) }
        let outcome = try repo.aee("task", "Two files", "--agent", agent, "--merge")
        #expect(outcome.status == 4, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("error: cannot fast-forward main: its files could not be updated ("), "\(outcome.stderr)")
        #expect(try repo.git("rev-parse", "main") == before)
        #expect(try repo.git("status", "--porcelain") == "", "calc.sh put back")
    }

    @Test("kill -9 of --merge after it wrote the task's files, before it moved the branch: the next git aee puts the files back as the branch has them and says so; files changed since are left, and named",
          .enabled(if: TestTools.strace != nil, "strace is not installed (make test installs it) or may not trace"),
          arguments: [false, true])
    func mergeKilledBeforeTheBranch(changedSince: Bool) throws {
        let repo = try calculatorRepository()
        let before = try repo.git("rev-parse", "main")
        let agent = try repo.executor("fixer", fixCalculator)
        // Killed as it opens the branch's lock: the files and the index are the task's by then.
        _ = try repo.aee(killedAt: "openat", when: 1, path: repo.directory.path + "/.git/refs/heads/main.lock", "task", "Fix", "--agent", agent, "--merge")
        #expect(try repo.git("rev-parse", "main") == before)
        #expect(try repo.git("status", "--porcelain") != "", "the kill came before the files were written")
        let id = try repo.onlyTaskID()
        if changedSince { try repo.write("calc.sh", "edited by hand\n") }
        let status = try repo.aee("status")
        #expect(status.status == 0)
        if changedSince {
            #expect(status.stderr.contains("warning: git aee was stopped while it fast-forwarded main to task \(id), and these files are neither as main nor as the task has them: calc.sh"), "\(status.stderr)")
            #expect(try String(contentsOfFile: repo.directory.path + "/calc.sh", encoding: .utf8) == "edited by hand\n")
        } else {
            #expect(status.stderr.contains("warning: git aee was stopped while it fast-forwarded main to task \(id): the files it had written were put back as main has them"), "\(status.stderr)")
            #expect(status.stderr.contains("hint: 'git merge --ff-only aee/\(id)' moves main to the task's commit"), "\(status.stderr)")
            #expect(try repo.git("status", "--porcelain") == "")
            _ = try repo.git("merge", "-q", "--ff-only", "aee/\(id)")
            #expect(try repo.git("rev-parse", "main") == repo.git("rev-parse", "aee/\(id)"))
        }
        #expect(!(try repo.aee("status").stderr.contains("warning")), "said once")
        #expect(try repo.fsckIsClean())
    }

    @Test("a task whose recording fails before its run claims it (a full disk at each of its first writes) is taken back: exit 128 leaves no task a worker would run later",
          .enabled(if: TestTools.strace != nil, "strace is not installed (make test installs it) or may not trace"),
          arguments: [false, true])
    func failedRecordingTakenBack(queue: Bool) throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("fixer", fixCalculator)
        for when in 1...4 {
            // Each record step ends in the rename of its ref's lock: the when-th one fails as on a full disk.
            let outcome = try repo.run(try #require(TestTools.strace), ["-f", "-qq", "-o", "/dev/null", "-e", "trace=rename",
                                                                         "-e", "inject=rename:error=ENOSPC:when=\(when)", Scratch.binary, "task", "Fix",
                                                                         "--agent", agent] + (queue ? ["--queue"] : []))
            guard outcome.status == 128 else { continue }
            #expect(outcome.stderr.contains("No space left on device"), "\(outcome.stderr)")
            #expect(try repo.git("for-each-ref", "refs/heads/aee") == "", "write #\(when) failed, and a task was left: \(outcome.stderr)")
        }
        #expect(try repo.fsckIsClean())
    }

    @Test("a run that stops on an error after its first commits exits 2 with its task BLOCKED, not 128 ('nothing written')")
    func errorAfterCommits() throws {
        let repo = try calculatorRepository()
        // Something else moves the attempt branch while the work item is in progress (git aee's wall does not reach the
        // user's repository itself).
        let agent = try repo.executor("moves", "git -C '\(repo.directory.path)' update-ref refs/heads/aee/\"$AEE_TASK_ID\"-attempt-1 HEAD")
        let outcome = try repo.aee("task", "Stopped", "--agent", agent)
        #expect(outcome.status == 2, "\(outcome.stderr)")
        let id = try repo.onlyTaskID()
        #expect(outcome.stderr.contains("fatal: aee/\(id)-attempt-1 was moved by something other than the run while it wrote to it\n"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("hint: the task is BLOCKED with what it did so far; 'git aee run \(id)' continues it"), "\(outcome.stderr)")
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["state"] as? String == "BLOCKED")
        #expect(try repo.fsckIsClean())
    }

    @Test("a task started in a dirty tree says how many local changes it leaves out, and that the uncommitted config is not used")
    func dirtyTreeHint() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.write("notes.txt", "mine\n")
        try repo.write("calc.sh", "#!/bin/sh\n# Adds two numbers, edited.\necho $(($1 + $2))\n")
        let outcome = try repo.aee("task", "Leave mine alone", "--agent", exampleAgent("learner"))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("hint: 2 local changes are not part of the task, which starts from HEAD; commit them first to include them\n"), "\(outcome.stderr)")
        // A gate that cannot pass, in the working tree only: the task runs with HEAD's config, and passes.
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": null}, "gates": {"tests": {"run": "false"}}, "default_gates": ["tests"]}"# + "\n")
        let withConfig = try repo.aee("task", "Again", "--agent", exampleAgent("learner"))
        #expect(withConfig.status == 0, "\(withConfig.stderr)")
        #expect(withConfig.stderr.hasPrefix("hint: your uncommitted .aee/config.json is not used: the task runs with HEAD's; commit it first to use it\n"), "\(withConfig.stderr)")
    }

    @Test("a task runs with the config of the commit it started from, not the one main has when it runs")
    func configOfTheStartCommit() throws {
        let repo = try calculatorRepository(fixed: true)
        let id = try repo.draft("Make calc add")
        let base = try repo.git("rev-parse", "--short=12", "HEAD").trimmingCharacters(in: .newlines)
        // main moves on to a gate that fails whatever the code.
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"command": null}, "gates": {"tests": {"run": "false"}}, "default_gates": ["tests"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "A gate that cannot pass")
        #expect(try repo.aee("approve", id).status == 0)
        let run = try repo.aee("run", id, "--agent", exampleAgent("learner"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("hint: task \(id) runs with the .aee/config.json of the commit it started from (\(base)); your working tree's differs\n"), "\(run.stderr)")
        // A task started now runs with the new config.
        let later = try repo.aee("task", "Make calc add again", "--agent", exampleAgent("learner"), "--max-iterations", "1")
        #expect(later.status == 1, "\(later.stderr)")
        #expect(!later.stderr.contains(".aee/config.json"), "\(later.stderr)")
    }

    @Test("deleting a task's branch while it runs stops the run (exit 3), says where its work is, and removes the workspace")
    func branchDeletedWhileRunning() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        let agent = try repo.executor("waits", "touch '\(marks)/executing'; while [ ! -e '\(marks)/go' ]; do sleep 0.1; done; echo x > f.txt")
        let errors = Pipe()
        let run = try repo.start(["task", "Deleted", "--agent", agent, "--gate", "doctor"], stderr: errors)
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/executing") })
        let id = try repo.onlyTaskID()
        try repo.git("branch", "-q", "-D", "aee/\(id)")
        FileManager.default.createFile(atPath: marks + "/go", contents: nil)
        run.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(run.terminationStatus == 3, "\(stderr)")
        #expect(stderr.contains("fatal: the branch aee/\(id) was deleted while the task ran; the run stopped\nhint: what it committed is on aee/\(id)-attempt-1"), "\(stderr)")
        #expect(try repo.git("rev-parse", "--verify", "-q", "aee/\(id)-attempt-1") != "")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot)) ?? []
        #expect(!folders.contains { FileManager.default.fileExists(atPath: "\(repo.workspaceRoot)/\($0)/\(id)") }, "the workspace was left behind")
        #expect(try repo.fsckIsClean())
    }

    @Test("--retry fresh starts the next iteration from the task's base")
    func fresh() throws {
        let repo = try calculatorRepository()
        let outcome = try repo.aee("task", "Fresh", "--agent", exampleAgent("vandal"), "--retry", "fresh", "--max-iterations", "2")
        #expect(outcome.status == 1)
        let id = try repo.onlyTaskID()
        // The failed attempt added vandal.txt; the merge that ends it keeps the base's code.
        #expect(try repo.git("show", "aee/\(id)-attempt-1:vandal.txt") == "vandal: execute\n")
        let merge = try repo.git("log", "-1", "--format=%H", "--grep=iteration_failed", "aee/\(id)").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try repo.run("/usr/bin/git", ["cat-file", "-e", "\(merge):vandal.txt"]).status != 0)
    }

    @Test("--here runs in the user's clean working tree and refuses a dirty one")
    func here() throws {
        let repo = try calculatorRepository()
        try repo.write("scratch.txt", "mine\n")
        let dirty = try repo.aee("task", "Here", "--agent", exampleAgent("learner"), "--here")
        #expect(dirty.status == 128)
        #expect(dirty.stderr.contains("fatal: --here needs a clean working tree; 1 path differs: scratch.txt"))
        #expect(try repo.taskBranches().isEmpty)
        try FileManager.default.removeItem(at: repo.directory.appendingPathComponent("scratch.txt"))
        let outcome = try repo.aee("task", "Here", "--agent", exampleAgent("learner"), "--here", "--merge")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(try repo.git("symbolic-ref", "HEAD") == "refs/heads/main\n")
        #expect(try String(contentsOf: repo.directory.appendingPathComponent("calc.sh"), encoding: .utf8).contains("$1 + $2"))
        #expect(try repo.git("worktree", "list").split(separator: "\n").count == 1)
    }

    @Test("cancel from another terminal stops a running task at once: CANCELED, exit 3")
    func cancelRunning() throws {
        let repo = try calculatorRepository()
        let id = try repo.draft("Slow")
        try repo.aee("approve", id)
        let output = Pipe()
        let process = try repo.start(["run", id, "--agent", exampleAgent("hangs")], stdout: output)
        #expect(waitUntil { (try? repo.aee("show", id).stdout.contains("RUNNING")) == true })
        let second = try repo.aee("run", id, "--agent", exampleAgent("learner"))
        #expect(second.status == 128)
        #expect(second.stderr.contains("is already running (pid \(process.processIdentifier)"))
        #expect(try repo.aee("cancel", id).status == 0)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3)
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["exit_reason"] as? String == "canceled")
        // Stopped before its first iteration was over, it says so rather than "after 0 iterations".
        let summary = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(summary == "\(id) CANCELED (canceled) during iteration 1\n", "\(summary)")
        // The attempt it left is off the task branch's history: show names it.
        let show = try repo.aee("show", id).stdout
        #expect(show.contains("unfinished aee/\(id)-attempt-1, what an attempt a run did not finish committed ('git log aee/\(id)-attempt-1')"), "\(show)")
        #expect(try repo.fsckIsClean())
    }

    @Test("runs that cannot start say why in one line and write nothing")
    func refusals() throws {
        let repo = try calculatorRepository()
        let cases: [([String], String)] = [
            (["task", "No agent"], "fatal: no agent is configured to run the task"),
            (["task", "Missing", "--agent", "no-such-agent --flag"], "fatal: the agent command 'no-such-agent' was not found"),
            (["task", "Unknown gate", "--agent", exampleAgent("learner"), "--gate", "nope"], "fatal: unknown gate 'nope'"),
            (["task", "Interactive", "--agent", exampleAgent("learner"), "--mode", "interactive"], "fatal: interactive mode asks for approval"),
        ]
        for (arguments, message) in cases {
            let outcome = try repo.run(Scratch.binary, arguments)
            #expect(outcome.status == 128, "\(arguments)")
            #expect(outcome.stderr.hasPrefix(message), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("hint: "))
        }
        #expect(try repo.taskBranches().isEmpty)
        let draft = try repo.draft("Not approved")
        let run = try repo.aee("run", draft, "--agent", exampleAgent("learner"))
        #expect(run.status == 128)
        #expect(run.stderr.contains("fatal: task \(draft) is DRAFT; only APPROVED, QUEUED or BLOCKED tasks can run"))
        #expect(run.stderr.contains("hint: approve it first: git aee approve \(draft)"))
        // A finished task says so, whether or not an agent is named: its state is looked at before any agent.
        #expect(try repo.aee("cancel", draft).status == 0)
        let canceled = try repo.aee("run", draft)
        #expect(canceled.status == 128)
        #expect(canceled.stderr == "fatal: task \(draft) is CANCELED; only APPROVED, QUEUED or BLOCKED tasks can run\n", "\(canceled.stderr)")
    }
}
