import Foundation
import Testing

@Suite("the task store, through the real binary and the real git")
struct StoreIntegrationTests {
    @Test("a draft task is a commit on aee/<id> that git fsck accepts, with trailers git reads")
    func draftIsACommitGitReads() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft("Implement X")
        #expect(id.count == 8)
        #expect(try repo.fsckIsClean())
        #expect(try repo.git("log", "-1", "--format=%(trailers:key=AEE-Task,valueonly)", "aee/\(id)").trimmingCharacters(in: .whitespacesAndNewlines) == id)
        let parsed = try repo.git("interpret-trailers", "--parse", stdin: try repo.git("log", "-1", "--format=%B", "aee/\(id)"))
        #expect(parsed == "AEE-Task: \(id)\nAEE-Event: created\nAEE-State: DRAFT\n")
        #expect(try repo.git("log", "-1", "--format=%s", "aee/\(id)") == "aee(\(id)): created: Implement X\n")
        // The branch starts at the user's commit and adds only the record.
        #expect(try repo.git("rev-parse", "aee/\(id)~1") == (try repo.git("rev-parse", "main")))
        #expect(try repo.git("diff", "--name-only", "main", "aee/\(id)") == ".aee/tasks/\(id)/events.jsonl\n.aee/tasks/\(id)/task.json\n")
        #expect(try repo.git("log", "-1", "--format=%an <%ae>", "aee/\(id)") == "A U Thor <author@example.com>\n")
    }

    @Test("the record is canonical JSON: sorted keys, two-space indent, explicit nulls, final newline")
    func recordIsCanonicalJSON() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft("Write docs", "--gate", "doctor", "--max-iterations", "5", "--mode", "interactive")
        let text = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/task.json")
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains("\n  \"exit_reason\": null,\n"))
        #expect(text.contains("\"max_iterations\": 5"))
        #expect(text.contains("\"run_mode\": \"interactive\""))
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { String($0.dropFirst(3).prefix { $0 != "\"" }) }
        #expect(keys == keys.sorted())
        #expect(keys == ["base_branch", "base_commit", "created_at", "created_by", "exit_detail", "exit_reason", "id", "iteration", "metadata", "state", "title", "updated_at", "usage", "version"])
        let record = try repo.json(text)
        #expect(record["state"] as? String == "DRAFT")
        #expect(record["created_by"] as? String == "A U Thor <author@example.com>")
        // show --json prints exactly the stored bytes.
        #expect(try repo.aee("show", id, "--json").stdout == text)
    }

    @Test("approve and cancel each add one commit and one event; log pairs them")
    func transitionsAreCommitsAndEvents() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft()
        #expect(try repo.aee("approve", String(id.prefix(4))).stdout == "\(id): DRAFT -> APPROVED\n")
        let cancel = try repo.aee("cancel", id, "--reason", "superseded")
        #expect(cancel.status == 0)
        #expect(try repo.git("log", "--format=%(trailers:key=AEE-Event,valueonly)%(trailers:key=AEE-State,valueonly)", "main..aee/\(id)")
                    .split(separator: "\n").map(String.init) == ["canceled", "CANCELED", "approved", "APPROVED", "created", "DRAFT"])
        let log = try repo.json(try repo.aee("log", id, "--json").stdout)
        let events = try #require(log["events"] as? [[String: Any]])
        #expect(events.map { $0["event"] as? String } == ["created", "approved", "canceled"])
        #expect(events.map { $0["to_state"] as? String } == ["DRAFT", "APPROVED", "CANCELED"])
        #expect((events[2]["details"] as? [String: String])?["reason"] == "superseded")
        let commits = try repo.git("rev-list", "--reverse", "main..aee/\(id)").split(separator: "\n").map(String.init)
        #expect(events.map { $0["commit"] as? String } == commits)
        #expect(try repo.fsckIsClean())
    }

    @Test("an illegal move is refused with a clear error and writes nothing")
    func illegalTransitionRefused() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft()
        try repo.aee("cancel", id)
        let before = try repo.refs()
        let outcome = try repo.aee("approve", id)
        #expect(outcome.status == 128)
        #expect(outcome.stderr.hasPrefix("fatal: cannot move task \(id) from CANCELED to APPROVED\n"))
        #expect(outcome.stderr.contains("hint: "))
        #expect(try repo.refs() == before)
    }

    @Test("the user's index and working tree are byte-identical before and after")
    func indexAndWorkingTreeUntouched() throws {
        let repo = try Scratch()
        try repo.commitFile("a.txt", "one\n")
        try repo.write("a.txt", "one\ntwo, unstaged\n")
        try repo.write("b.txt", "staged\n")
        try repo.git("add", "b.txt")
        try repo.write("c.txt", "untracked\n")
        let indexPath = repo.directory.appendingPathComponent(".git/index")
        let index = try Data(contentsOf: indexPath)
        let status = try repo.git("status", "--porcelain=v2")
        let files = try ["a.txt", "b.txt", "c.txt"].map { try Data(contentsOf: repo.directory.appendingPathComponent($0)) }
        let id = try repo.draft()
        try repo.aee("approve", id)
        try repo.aee("cancel", id)
        #expect(try Data(contentsOf: indexPath) == index)
        #expect(try repo.git("status", "--porcelain=v2") == status)
        #expect(try ["a.txt", "b.txt", "c.txt"].map { try Data(contentsOf: repo.directory.appendingPathComponent($0)) } == files)
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(".aee").path))
    }

    @Test("a ref lock a killed process left is removed once stale; a fresh one is waited for")
    func staleLock() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft()
        let lock = repo.directory.appendingPathComponent(".git/refs/heads/aee/\(id).lock")
        try Data().write(to: lock)
        try repo.run("/usr/bin/touch", ["-d", "-1 minute", lock.path])
        let approved = try repo.aee("approve", id)
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lock.path))
        // A lock that is fresh when the update starts is someone's: waited for until it is gone or stale.
        try Data().write(to: lock)
        let canceled = try repo.aee("cancel", id)
        #expect(canceled.status == 0, "\(canceled.stderr)")
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "CANCELED")
        #expect(try repo.fsckIsClean())
    }

    @Test("eight concurrent task --draft processes are all recorded")
    func concurrentDraftsAllRecorded() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let outcomes = try (0..<8).map { index -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Scratch.binary)
            process.arguments = ["task", "Task \(index)", "--draft"]
            process.currentDirectoryURL = repo.directory
            process.environment = repo.environment
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
        outcomes.forEach { $0.waitUntilExit() }
        #expect(outcomes.allSatisfy { $0.terminationStatus == 0 })
        let list = try repo.json(try repo.aee("list", "--json").stdout)
        let titles = try #require(list["tasks"] as? [[String: Any]]).compactMap { $0["title"] as? String }
        #expect(Set(titles) == Set((0..<8).map { "Task \($0)" }))
        #expect(try repo.git("for-each-ref", "--format=%(refname)", "refs/heads/aee/").split(separator: "\n").count == 8)
        #expect(try repo.fsckIsClean())
    }

    @Test("a task whose branch was merged into HEAD and deleted is still listed and shown")
    func mergedTaskStillFound() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft("Merged one")
        try repo.git("merge", "-q", "--ff-only", "aee/\(id)")
        try repo.git("branch", "-q", "-D", "aee/\(id)")
        let list = try repo.aee("list")
        #expect(list.stdout.contains("\(id)  DRAFT"))
        #expect(try repo.aee("show", id).stdout.contains("Merged one"))
        // Its record cannot change any more, and the error says why.
        let outcome = try repo.aee("approve", id)
        #expect(outcome.status == 128)
        #expect(outcome.stderr.contains("has no branch"))
        // A new task never reuses its id.
        let other = try repo.draft()
        #expect(other != id)
    }

    @Test("list filters by state and sorts oldest first")
    func listFiltersAndSorts() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let ids = try ["first", "second", "third"].enumerated().map { index, title in
            try repo.draft(title, extraEnvironment: ["GIT_COMMITTER_DATE": "@\(1_800_000_000 + index) +0000"])
        }
        try repo.aee("approve", ids[1])
        #expect(try repo.aee("list").stdout.split(separator: "\n").map { String($0.prefix(8)) } == ids)
        let approved = try repo.aee("list", "--state", "approved")
        #expect(approved.stdout.split(separator: "\n").map { String($0.prefix(8)) } == [ids[1]])
        // Made in quick succession, most in the same second (records keep whole seconds): still listed as made.
        let quick = try (0..<8).map { try repo.draft("quick \($0)") }
        #expect(try repo.aee("list").stdout.split(separator: "\n").map { String($0.prefix(8)) }.filter(quick.contains) == quick)
        let bad = try repo.aee("list", "--state", "done")
        #expect(bad.status == 129)
        #expect(bad.stderr.hasPrefix("error: bad value 'done' for --state"))
    }

    @Test("a unique prefix names a task; an ambiguous one lists the candidates; a non-id is refused")
    func prefixes() throws {
        let repo = try Scratch()
        try repo.commitFile()
        var byFirstLetter: [Character: [String]] = [:]
        // Ids are random: draft until two share a first letter (at most 33 by pigeonhole).
        while byFirstLetter.values.allSatisfy({ $0.count < 2 }) {
            let id = try repo.draft()
            byFirstLetter[id.first!, default: []].append(id)
        }
        let shared = byFirstLetter.first { $0.value.count > 1 }!
        let outcome = try repo.aee("show", String(shared.key))
        #expect(outcome.status == 128)
        #expect(outcome.stderr.hasPrefix("fatal: task id '\(shared.key)' is ambiguous: "))
        #expect(shared.value.allSatisfy { outcome.stderr.contains($0) })
        #expect(try repo.aee("show", String(shared.value[0].prefix(7))).status == 0)
        let unknown = try repo.aee("show", "zzzzzzzz")
        #expect(unknown.status == 128)
        #expect(unknown.stderr.hasPrefix("fatal: no task matches 'zzzzzzzz'"))
        let traversal = try repo.aee("show", "../../etc")
        #expect(traversal.status == 128)
        #expect(traversal.stderr == "fatal: '../../etc' is not a task id (ids are up to 8 digits and lowercase letters other than i, l, o and u)\n")
    }
}
