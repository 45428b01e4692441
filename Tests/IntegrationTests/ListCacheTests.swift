import Foundation
import Testing

@Suite("list --json reads through the list cache")
struct ListCacheTests {
    /// Each listed task's record as `git cat-file` reads it from its branch, in the order listed.
    func recordsAsGitReadsThem(_ repo: Scratch, _ listed: [[String: Any]]) throws -> [String] {
        try listed.map { task in
            let id = try #require(task["id"] as? String)
            return try repo.git("cat-file", "-p", "aee/\(id):.aee/tasks/\(id)/task.json")
        }
    }

    func listed(_ repo: Scratch, _ options: String...) throws -> (tasks: [[String: Any]], stdout: String) {
        let outcome = try repo.run(Scratch.binary, ["list", "--json"] + options)
        #expect(outcome.status == 0 && outcome.stderr.isEmpty, "\(outcome.stderr)")
        return (try #require(try repo.json(outcome.stdout)["tasks"] as? [[String: Any]]), outcome.stdout)
    }

    @Test("a task approved, one canceled, one deleted and one made since the last listing: the next lists exactly what the branches hold, byte for byte what a listing without the cache prints")
    func followsTheBranches() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let ids = try (1...4).map { try repo.draft("Task \($0)") }
        let cache = repo.directory.appendingPathComponent(".git/aee/list-cache").path
        #expect(try listed(repo).tasks.count == 4)
        #expect(FileManager.default.fileExists(atPath: cache))

        #expect(try repo.aee("approve", ids[1]).status == 0)
        #expect(try repo.aee("cancel", ids[2]).status == 0)
        try repo.git("branch", "-D", "-q", "aee/\(ids[3])")
        let made = try repo.draft("Task 5")

        let (tasks, stdout) = try listed(repo)
        #expect(tasks.compactMap { $0["id"] as? String } == [ids[0], ids[1], ids[2], made])
        #expect(tasks.compactMap { $0["state"] as? String } == ["DRAFT", "APPROVED", "CANCELED", "DRAFT"])
        // Every record printed is the one its branch holds now, not one an earlier listing read.
        let printed = try tasks.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        let stored = try recordsAsGitReadsThem(repo, tasks).map { text in
            String(decoding: try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Data(text.utf8)), options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(printed == stored)
        #expect(try listed(repo, "--state", "approved").tasks.compactMap { $0["id"] as? String } == [ids[1]])
        #expect(try listed(repo, "--state", "canceled").tasks.compactMap { $0["id"] as? String } == [ids[2]])

        try FileManager.default.removeItem(atPath: cache)
        #expect(try listed(repo).stdout == stdout, "a listing without the cache prints the same")
        // The cache names no task that is gone.
        #expect(!(try String(contentsOfFile: cache, encoding: .utf8)).contains(ids[3]))
    }

    @Test("a damaged cache is not believed (it is written anew), a record that does not decode is reported every time, and a lock another process holds is left alone")
    func damageAndLocks() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let good = try repo.draft("good")
        let bad = try repo.draft("bad")
        try repo.breakRecord(bad)
        for _ in 1...2 {
            let outcome = try repo.aee("list", "--json")
            #expect(outcome.status == 0)
            #expect(outcome.stderr.hasPrefix("warning: .aee/tasks/\(bad)/task.json: "), "\(outcome.stderr)")
            #expect(try (repo.json(outcome.stdout)["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [good])
        }

        // The good task's state rewritten in the cache: the checksum no longer matches, so the record is read again.
        let cache = repo.directory.appendingPathComponent(".git/aee/list-cache").path
        let written = try String(contentsOfFile: cache, encoding: .utf8)
        #expect(written.contains(" DRAFT\n"))
        try Data(written.replacingOccurrences(of: " DRAFT\n", with: " QUEUED\n").utf8).write(to: URL(fileURLWithPath: cache))
        #expect(try (repo.json(try repo.aee("list", "--json", "--state", "draft").stdout)["tasks"] as? [Any])?.count == 1)
        #expect(try (repo.json(try repo.aee("list", "--json", "--state", "queued").stdout)["tasks"] as? [Any])?.isEmpty == true)
        #expect(try String(contentsOfFile: cache, encoding: .utf8) == written, "the damaged cache was not written anew")

        // Another process writing the cache: this listing leaves its lock and the file alone.
        let lock = cache + ".lock"
        FileManager.default.createFile(atPath: lock, contents: Data("half".utf8))
        try FileManager.default.removeItem(atPath: cache)
        func listedIDs() throws -> [String]? {
            try (repo.json(try repo.aee("list", "--json").stdout)["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        }
        #expect(try listedIDs() == [good])
        #expect(!FileManager.default.fileExists(atPath: cache) && FileManager.default.fileExists(atPath: lock))
        // A lock nobody has touched for minutes is a dead process's: it goes, and the next listing writes the cache.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -600)], ofItemAtPath: lock)
        #expect(try listedIDs() == [good])
        #expect(try listedIDs() == [good])
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(try String(contentsOfFile: cache, encoding: .utf8) == written)
        #expect(try repo.fsckIsClean())
    }
}
