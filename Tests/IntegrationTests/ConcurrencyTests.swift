import Foundation
import Testing

@Suite("many processes in one repository at once")
struct ConcurrencyTests {
    @Test("a worker, two foreground tasks, manual commands and the user committing, all at once: nothing lost, every conflict said clearly")
    func everythingAtOnce() throws {
        let repo = try calculatorRepository()
        let agent = exampleAgent("learner")
        let queued = try repo.queue(4)
        let worker = try repo.start(["worker", "--jobs", "2", "--idle-exit", "2", "--agent", agent])
        let foreground = try (0..<2).map { index in
            let errors = Pipe()
            let process = try repo.start(["task", "Foreground \(index)", "--agent", agent] + (index == 0 ? ["--merge"] : []), stderr: errors)
            return (process, errors)
        }

        // Meanwhile: the user commits on main (again when git finds the index locked, as a person would), and runs
        // git aee commands by hand, one of which cancels a queued task that a worker may be starting.
        var committed: [String] = []
        var manual: [Outcome] = []
        var cancel: Outcome?
        for index in 0..<8 {
            try repo.write("user-\(index).txt", "mine \(index)\n")
            for _ in 0..<50 {
                let add = try repo.run("/usr/bin/git", ["add", "user-\(index).txt"])
                if add.status == 0, try repo.run("/usr/bin/git", ["commit", "-q", "-m", "user \(index)"]).status == 0 { break }
                usleep(20_000)
            }
            committed.append("user \(index)")
            manual.append(try repo.aee(["list", "status", "show"][index % 3], index % 3 == 2 ? queued[0] : "--json"))
            if index == 3 { cancel = try repo.aee("cancel", queued[3], "--reason", "changed my mind") }
        }
        for (process, _) in foreground { process.waitUntilExit() }
        worker.waitUntilExit()

        // Every manual command answered, or said why not in git's words.
        for outcome in manual {
            #expect(outcome.status == 0 || outcome.stderr.hasPrefix("fatal: "), "\(outcome.stderr)")
        }
        // The user's commits are all on main, in order, and the working tree holds their files.
        let subjects = try repo.git("log", "--format=%s", "main").split(separator: "\n").map(String.init).filter { $0.hasPrefix("user ") }
        #expect(subjects.reversed() == committed)
        #expect(try repo.git("status", "--porcelain").isEmpty)
        // The --merge run either fast-forwarded main before the user's commits moved it, or said it could not.
        let (merging, mergeErrors) = foreground[0]
        #expect([0, 4].contains(merging.terminationStatus))
        if merging.terminationStatus == 4 {
            #expect(String(decoding: mergeErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("cannot fast-forward main"))
        }
        #expect(foreground[1].0.terminationStatus == 0)

        // The cancel either landed (before the task's run, or stopping it) or came after the task had finished.
        let canceled = try #require(cancel)
        #expect(canceled.status == 0 || canceled.stderr.hasPrefix("fatal: cannot move task \(queued[3]) from SUCCEEDED to CANCELED"), "\(canceled.stderr)")
        // Every task ended; each was run once (one `started`).
        for id in try repo.taskBranches().filter({ !$0.contains("-attempt-") }).map({ String($0.dropFirst("refs/heads/aee/".count)) }) {
            let state = try repo.artifact(id, "task.json")["state"] as? String
            let events = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl").split(separator: "\n").map { try repo.json(String($0)) }
            let started = events.filter { $0["event"] as? String == "started" }.count
            if id == queued[3] && canceled.status == 0 {
                #expect(state == "CANCELED", "\(id)")
                #expect(started <= 1)
            } else {
                #expect(state == "SUCCEEDED", "\(id): \(state ?? "?")")
                #expect(started == 1, "\(id) started \(started) times")
            }
        }
        #expect(try repo.fsckIsClean())
    }
}
