import Foundation
import Testing

extension Scratch {
    /// An agent that plans work items a, b and c and writes `<item>.txt` for each, logging every call to
    /// `<marks>/calls`. The first time it executes b it writes half of it, touches `<marks>/in-b` and hangs, its
    /// `sleep` pid in `<marks>/child`, for the test to kill whoever runs it.
    func threeItemAgent() throws -> (agent: String, marks: String) {
        let marks = root.appendingPathComponent("marks").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        let agent = try agentScript("three-items", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
              echo plan >> '\(marks)/calls'
              echo '{"work_items": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}]}' > "$AEE_OUTPUT_FILE"
              exit 0
            fi
            item=$(tr -d ' \\n' < "$AEE_WORK_ITEM_FILE" | sed 's/.*"id":"\\([a-z]*\\)".*/\\1/')
            echo "$item" >> '\(marks)/calls'
            if [ "$item" = b ] && [ ! -e '\(marks)/b-once' ]; then
              touch '\(marks)/b-once'
              echo half > b.txt
              sleep 300 &
              echo $! > '\(marks)/child'
              touch '\(marks)/in-b'
              wait
            fi
            echo "$item done" > "$item.txt"

            """)
        return ("'\(agent)'", marks)
    }

    /// Starts a worker (`arguments` to `executable`) that runs `threeItemAgent`, waits until the agent hangs in item b,
    /// calls `whileHung`, kills the worker with SIGKILL, and waits until its run has killed the agent.
    func killWorkerInItemB(_ arguments: [String], marks: String, in directory: URL? = nil, executable: String = Scratch.binary,
                           whileHung: () throws -> Void = {}) throws {
        let worker = try start(arguments, in: directory, executable: executable)
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/in-b") })
        try whileHung()
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        let child = try String(contentsOfFile: marks + "/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(processIsGone(child))
    }

    /// The pid the task's last `started` or `resumed` event names as its owner.
    func ownerPID(of id: String) throws -> String {
        let events = try git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl").split(separator: "\n").map { try json(String($0)) }
        let owner = events.last { ["started", "resumed"].contains($0["event"] as? String) }
        return try #require((owner?["details"] as? [String: String])?["pid"])
    }
}

@Suite("resuming a task whose run died")
struct ResumeTests {
    @Test("kill -9 of a worker mid-work-item, then resume: the committed work item is not redone and the task SUCCEEDS")
    func killWorkerThenResume() throws {
        let repo = try calculatorRepository(fixed: true)
        let (agent, marks) = try repo.threeItemAgent()
        let id = try #require(try repo.queue(1).first)
        try repo.killWorkerInItemB(["worker", "--agent", agent], marks: marks) {
            // While its owner lives, nobody may take the task over.
            let early = try repo.aee("resume", id, "--agent", agent)
            #expect(early.status == 128)
            #expect(early.stderr.hasPrefix("fatal: task \(id) is already running (pid "), "\(early.stderr)")
        }
        // The worker's run noticed its worker died: it killed its agent and exited, the task left RUNNING.
        #expect(processIsGone(try repo.ownerPID(of: id)))
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "RUNNING")

        let resumed = try repo.aee("resume", id, "--agent", agent)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("\(id) SUCCEEDED (done) after 1 iteration"))
        let calls = try String(contentsOfFile: marks + "/calls", encoding: .utf8).split(separator: "\n")
        #expect(calls == ["plan", "a", "b", "b", "c"], "a was committed before the kill and must not run again")
        let log = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl").split(separator: "\n").map { try repo.json(String($0))["event"] as? String }
        #expect(log == ["created", "approved", "queued", "started", "resumed", "planned", "work_item_done", "work_item_done", "work_item_done",
                        "verified", "iteration_passed", "succeeded"])
        let summary = try repo.artifact(id, "iterations/1/work_items_summary.json")
        #expect((summary["work_items"] as? [[String: Any]])?.map { $0["status"] as? String } == ["done", "done", "done"])
        #expect(try repo.git("show", "aee/\(id):b.txt") == "b done\n")
        #expect(try repo.git("log", "--format=%s", "aee/\(id)").split(separator: "\n").filter { $0.contains(": work_item_done: A") }.count == 1)
        let show = try repo.aee("log", id)
        #expect(show.status == 0)
        #expect(show.stdout.contains("resumed"))
        #expect(try repo.fsckIsClean())
    }
}

extension ResumeTests {
    /// `git aee task` with `agent`, which marks `first` with its pid, killed with SIGKILL once it has: the run, the
    /// agent's pid and the task.
    func killMidCall(_ repo: Scratch, agent: String) throws -> (run: Process, orphan: String, id: String) {
        let run = try repo.start(["task", "Fix it", "--agent", agent])
        #expect(waitUntil { FileManager.default.fileExists(atPath: repo.root.path + "/first") })
        let orphan = try repo.mark("first")
        kill(run.processIdentifier, SIGKILL)
        // Not waitUntilExit: Foundation waits until every process that inherited the run's descriptors is gone, the
        // orphan included.
        #expect(processIsGone(String(run.processIdentifier)))
        return (run, orphan, try repo.onlyTaskID())
    }

    @Test("kill -9 of git aee mid-call, then resume: what the dead run left running is stopped first, so the work item's change is made once")
    func resumeStopsTheDeadRunsAgent() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        // The first call stays in its work for a while, then appends to the file it works on; a call after it appends at once.
        let agent = try repo.executor("slow", """
            if [ ! -e '\(marks)/first' ]; then
              echo $$ > '\(marks)/first.tmp'; mv '\(marks)/first.tmp' '\(marks)/first'
              sleep 3
              echo "from the dead run's call" >> notes.txt
            else
              echo "from the resumed run's call" >> notes.txt
            fi
            \(fixCalculator)
            """)
        let (run, orphan, id) = try killMidCall(repo, agent: agent)
        #expect(FileManager.default.fileExists(atPath: "/proc/\(orphan)"), "the dead run's agent outlives it, until a run takes the task over")
        // What a user looks at first says the run is gone and what to type.
        let status = try repo.aee("status")
        #expect(status.stdout.contains("pid \(run.processIdentifier) (gone)"), "\(status.stdout)")
        #expect(status.stderr.contains("hint: the run of \(id) is gone (killed, or its machine restarted); 'git aee resume \(id)' continues it"), "\(status.stderr)")
        let shown = try repo.aee("show", id).stdout
        #expect(shown.contains("run        pid \(run.processIdentifier) on "), "\(shown)")
        #expect(shown.contains(", gone ('git aee resume \(id)' continues it)"), "\(shown)")
        #expect(shown.contains("\niteration  1 of 20, under way\n"), "counted as status counts it: \(shown)")

        let resumed = try repo.aee("resume", id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // The agent, the shell that runs its command line (its path has spaces), and its sleep.
        #expect(resumed.stderr.contains("warning: stopped 3 processes the dead run (pid \(run.processIdentifier)) left running"), "\(resumed.stderr)")
        #expect(processIsGone(orphan))
        let notes = try repo.git("show", "aee/\(id):notes.txt")
        #expect(notes == "from the resumed run's call\n", "\(notes.debugDescription)")
        #expect(try repo.fsckIsClean())
        run.waitUntilExit()
    }

    @Test("kill -9 of git aee mid-call, then cancel: what the dead run left running is stopped, not left writing into a workspace prune removes")
    func cancelStopsTheDeadRunsAgent() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        let agent = try repo.executor("slow", "echo $$ > '\(marks)/first.tmp'; mv '\(marks)/first.tmp' '\(marks)/first'; sleep 60")
        let (run, orphan, id) = try killMidCall(repo, agent: agent)
        let canceled = try repo.aee("cancel", id)
        #expect(canceled.status == 0, "\(canceled.stderr)")
        #expect(canceled.stderr.contains("stopped 3 processes the dead run (pid \(run.processIdentifier)) left running"), "\(canceled.stderr)")
        #expect(processIsGone(orphan))
        #expect(try repo.aee("prune").status == 0)
        run.waitUntilExit()
    }

    @Test("a resume killed in its turn while it stopped the first dead run's leftovers: the next resume stops them, not only its own predecessor's")
    func chainedDeadRuns() throws {
        let repo = try calculatorRepository()
        try repo.git("config", "aee.killGraceSeconds", "3")
        let marks = repo.root.path
        // The first call leaves a daemon that shrugs off SIGTERM, so stopping it takes the whole grace.
        let agent = try repo.executor("stubborn", """
            if [ ! -e '\(marks)/first' ]; then
              setsid sh -c 'trap "" TERM; while :; do sleep 0.2; done' &
              echo $! > '\(marks)/daemon'
              echo $$ > '\(marks)/first.tmp'; mv '\(marks)/first.tmp' '\(marks)/first'
              sleep 60
            fi
            \(fixCalculator)
            """)
        let (run, orphan, id) = try killMidCall(repo, agent: agent)
        let daemon = try repo.mark("daemon")
        // Gone at the end either way: alive, it would hold the test up.
        defer { kill(pid_t(daemon) ?? 0, SIGKILL) }
        // The first resume stops the agent at once, then waits out the daemon's grace: it is killed there.
        let firstResume = try repo.start(["resume", id])
        #expect(waitUntil { processIsGone(orphan) })
        kill(firstResume.processIdentifier, SIGKILL)
        #expect(processIsGone(String(firstResume.processIdentifier)))
        #expect(FileManager.default.fileExists(atPath: "/proc/\(daemon)"), "the daemon outlived the first resume")
        let resumed = try repo.aee("resume", id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("the dead run (pid \(run.processIdentifier)) left running"), "\(resumed.stderr)")
        #expect(processIsGone(daemon), "the first run's daemon outlived the task")
        run.waitUntilExit()
        firstResume.waitUntilExit()
    }

    @Test("branches edited by hand into impossible states: resume refuses and writes nothing; a worker reports them and goes on")
    func impossibleStates() throws {
        let repo = try calculatorRepository(fixed: true)
        let (agent, marks) = try repo.threeItemAgent()
        let id = try #require(try repo.queue(1).first)
        try repo.killWorkerInItemB(["worker", "--agent", agent], marks: marks)
        #expect(processIsGone(try repo.ownerPID(of: id)))

        // A second `planned` commit on the attempt: not a shape git aee writes.
        let attempt = "aee/\(id)-attempt-1"
        let tip = try repo.git("rev-parse", attempt).trimmingCharacters(in: .newlines)
        let forged = try repo.git("commit-tree", "-p", tip, "-m", "forged\n\nAEE-Task: \(id)\nAEE-Event: planned\nAEE-Iteration: 1", "\(tip)^{tree}")
        try repo.git("update-ref", "refs/heads/\(attempt)", forged.trimmingCharacters(in: .newlines))
        // And a queued task whose record is garbage.
        let broken = try #require(try repo.queue(1, "Broken").first)
        let garbage = try repo.git("hash-object", "-w", "--stdin", stdin: "{\"id\": ")
        let tree = try repo.git("mktree", stdin: "100644 blob \(garbage.trimmingCharacters(in: .newlines))\ttask.json\n")
        let bad = try repo.git("commit-tree", "-p", "aee/\(broken)", "-m", "garbage", tree.trimmingCharacters(in: .newlines))
        try repo.git("update-ref", "refs/heads/aee/\(broken)", bad.trimmingCharacters(in: .newlines))

        let refs = try repo.refs()
        let resume = try repo.aee("resume", id, "--agent", agent)
        #expect(resume.status == 128)
        #expect(resume.stderr.hasPrefix("fatal: cannot resume task \(id): \(attempt): a 'planned' commit where git aee does not make one"),
                "\(resume.stderr)")
        #expect(try repo.refs() == refs, "a refused resume writes nothing")

        let once = try repo.aee("worker", "--once", "--agent", agent)
        #expect(once.status == 0)
        #expect(once.stderr.contains("warning: task \(broken) skipped: "), "\(once.stderr)")
        #expect(once.stderr.contains("fatal: cannot resume task \(id)"), "\(once.stderr)")
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "RUNNING")
        #expect(try repo.fsckIsClean())
    }
}

extension ResumeTests {
    @Test("resume remembers the agent the task was started with; one that came with the task from elsewhere runs only once approved")
    func remembersAgent() throws {
        let repo = try calculatorRepository(fixed: true)
        let (agent, marks) = try repo.threeItemAgent()
        let id = try #require(try repo.queue(1).first)
        try repo.killWorkerInItemB(["worker", "--agent", agent], marks: marks)
        #expect(processIsGone(try repo.ownerPID(of: id)))

        // As if the task had been fetched from a clone where it was started: nothing here approves its agent.
        try repo.git("config", "--unset-all", "aee.trusted")
        try repo.aee("trust")
        let refs = try repo.refs()
        let refused = try repo.aee("resume", id, environment: ["AEE_TRUST": "0"])
        #expect(refused.status == 128)
        #expect(refused.stderr.contains("the task's records ask to run commands you have not approved") && refused.stderr.contains("the agent of the task's last run (new)") && refused.stderr.contains("three-items"), "\(refused.stderr)")
        #expect(refused.stderr.hasSuffix("hint: the task's last run used that agent, perhaps on another clone; '--agent CMD' runs it (or another) as your own\n"), "\(refused.stderr)")
        #expect(try repo.refs() == refs)

        let resumed = try repo.aee("resume", id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("\(id) SUCCEEDED"))
        #expect(try String(contentsOfFile: marks + "/calls", encoding: .utf8).split(separator: "\n") == ["plan", "a", "b", "b", "c"])
    }
}

