import Foundation
import Testing

/// Kills `git aee` with SIGKILL at random moments of real tasks and checks, after every kill, what the tool promises:
/// a repository `git fsck --strict` accepts (packing its loose objects as often as every few steps), every ref on an
/// object that exists, the user's branch, index and files untouched, and a task that can go on; then that the task,
/// carried on to the end, ends as an uninterrupted run did with no work item committed twice. Half the kills hit tasks whose work items run one by one, half tasks whose
/// plan runs two of them side by side (`--jobs 2`). `AEE_TORTURE_KILLS` sets the number of kills (default 20;
/// `benchmarks/crash-torture` runs 200 and more).
@Suite("crash torture: kill -9 at random moments, then carry on")
struct CrashTortureTests {
    static let kills = ProcessInfo.processInfo.environment["AEE_TORTURE_KILLS"].flatMap { Int($0) } ?? 20
    /// At most this many kills per task; then its run is let finish.
    static let killsPerTask = 3

    struct Verdict {
        var kills = 0
        var tasks = 0
        var violations: [String] = []

        mutating func check(_ condition: Bool, _ what: @autoclosure () -> String) {
            if !condition { violations.append(what()) }
        }
    }

    @Test("kill -9 during task, run and resume: nothing lost or corrupted, every task ends as it would have", arguments: [false, true])
    func torture(sideBySide: Bool) throws {
        let repo = try calculatorRepository()
        var agent = exampleAgent("learner")
        if sideBySide {
            // The learner's work, planned as two items side by side (one reads, one writes notes) and a third after both.
            agent = "'" + (try repo.agentScript("side-by-side", """
                #!/bin/sh
                if [ "$AEE_STAGE" = plan ]; then
                  echo '{"work_items": [{"id": "read-code", "title": "Read", "depends_on": []}, {"id": "notes", "title": "Notes", "depends_on": []}, {"id": "fix-add", "title": "Fix", "depends_on": ["read-code", "notes"]}]}' > "$AEE_OUTPUT_FILE"
                  exit 0
                fi
                if grep -q '"id" *: *"notes"' "$AEE_WORK_ITEM_FILE"; then echo "notes" > notes.txt; exit 0; fi
                exec '\(agent)'

                """)) + "'"
            try repo.git("config", "aee.jobs", "2")
        }
        // Packing every few steps, so that kills land in it too (the workspace pool is on, as by default).
        try repo.git("config", "aee.autoPack", "30")
        let kills = sideBySide ? Self.kills - Self.kills / 2 : Self.kills / 2
        var random = SystemRandomNumberGenerator()

        let started = Date()
        let referenceRun = try repo.aee("task", "Reference", "--agent", agent)
        #expect(referenceRun.status == 0, "\(referenceRun.stderr)")
        let duration = Date().timeIntervalSince(started)
        let reference = try repo.artifact(try repo.onlyTaskID(), "task.json")
        if sideBySide { #expect(try repo.git("log", "--format=%s", "aee/\(try repo.onlyTaskID())").contains("work_items_merged")) }
        let expected = Self.ending(reference)
        let user = try Self.userSnapshot(repo)
        var known = Set(try repo.taskBranches())

        var verdict = Verdict()
        while verdict.kills < kills {
            verdict.tasks += 1
            let task = verdict.tasks
            var id: String?
            var command = ["task", "Torture \(task)", "--agent", agent]
            var killsHere = 0
            for _ in 0..<20 {
                let errors = repo.root.appendingPathComponent("stderr")
                _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
                let process = try repo.start(command, stderr: try FileHandle(forWritingTo: errors))
                if killsHere < Self.killsPerTask && verdict.kills < kills {
                    usleep(UInt32(Double.random(in: 0...(duration * 0.9), using: &random) * 1_000_000))
                    if process.isRunning, kill(process.processIdentifier, SIGKILL) == 0 { killsHere += 1 }
                }
                process.waitUntilExit()
                let killed = process.terminationReason == .uncaughtSignal
                if killed { verdict.kills += 1 }
                let moment = "task \(task), after `\(command[0])` \(killed ? "was killed" : "exited \(process.terminationStatus)")"

                let fsck = try repo.run("/usr/bin/git", ["fsck", "--strict", "--no-progress"])
                verdict.check(fsck.status == 0, "\(moment): git fsck --strict failed: \(fsck.stdout.prefix(500)) \(fsck.stderr.prefix(500))")
                verdict.check(try Self.refsResolve(repo), "\(moment): a ref names a missing object")
                verdict.check(try Self.userSnapshot(repo) == user, "\(moment): the user's branch, index or files changed")
                let branches = Set(try repo.taskBranches())
                if id == nil, let new = branches.subtracting(known).first(where: { !$0.contains("-attempt-") }) {
                    id = String(new.dropFirst("refs/heads/aee/".count))
                }
                known.formUnion(branches)
                guard let id else { continue }  // killed before the task existed: nothing to carry on
                let show = try repo.aee("show", id, "--json")
                verdict.check(show.status == 0, "\(moment): git aee show \(id) failed: \(show.stderr)")
                guard show.status == 0 else { break }
                let record = try repo.json(show.stdout)
                switch record["state"] as? String {
                case "RUNNING": command = ["resume", id, "--agent", agent]
                case "DRAFT":
                    // `task` was killed between creating and approving it.
                    verdict.check(try repo.aee("approve", id).status == 0, "\(moment): the DRAFT task could not be approved")
                    command = ["run", id, "--agent", agent]
                case "APPROVED", "QUEUED", "BLOCKED": command = ["run", id, "--agent", agent]
                default:
                    verdict.check(Self.ending(record) == expected, "\(moment): task \(id) ended \(Self.ending(record)), not \(expected)")
                    verdict.check(try Self.workItemsCommittedOnce(repo, id), "\(moment): a work item of task \(id) was committed twice")
                    command = []
                }
                if command.isEmpty { break }
                if !killed, process.terminationStatus != 0 {
                    let said = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
                    verdict.check(false, "\(moment): the task is \(record["state"] ?? "?") after a run that was not killed: \(said.suffix(2000))")
                }
            }
            verdict.check(command.isEmpty || id == nil, "task \(task) never finished")
        }
        print("crash torture\(sideBySide ? " (work items side by side)" : ""): \(verdict.kills) kills in \(verdict.tasks) tasks, \(verdict.violations.count) violations")
        for violation in verdict.violations.prefix(20) { Issue.record(Comment(rawValue: violation)) }
    }

    /// How a task ended: state, exit reason and iterations used.
    static func ending(_ record: [String: Any]) -> String {
        "\(record["state"] ?? "-") \(record["exit_reason"] ?? "-") after \(record["iteration"] ?? "-")"
    }

    /// Everything of the user's that a task must not touch: HEAD, the branch, the index file and the files.
    static func userSnapshot(_ repo: Scratch) throws -> String {
        let index = try Data(contentsOf: repo.directory.appendingPathComponent(".git/index"))
        let files = try ["calc.sh", "test.sh", ".aee/config.json"].map { try String(contentsOf: repo.directory.appendingPathComponent($0), encoding: .utf8) }
        return try repo.userState() + repo.git("rev-parse", "main") + index.base64EncodedString() + files.joined()
    }

    static func refsResolve(_ repo: Scratch) throws -> Bool {
        let objects = try repo.git("for-each-ref", "--format=%(objectname)")
        let check = try repo.run("/usr/bin/git", ["cat-file", "--batch-check"], stdin: objects)
        return check.status == 0 && !check.stdout.contains("missing")
    }

    /// Whether each (iteration, work item) has at most one commit among everything the task's branch reaches.
    static func workItemsCommittedOnce(_ repo: Scratch, _ id: String) throws -> Bool {
        let lines = try repo.git("log", "aee/\(id)", "--format=%(trailers:key=AEE-Iteration,valueonly,separator=)|%(trailers:key=AEE-Work-Item,valueonly,separator=)")
            .split(separator: "\n").filter { !$0.hasSuffix("|") }
        return Set(lines).count == lines.count && !lines.isEmpty
    }
}
