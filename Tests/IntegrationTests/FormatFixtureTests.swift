import Foundation
import Testing

/// `Tests/Fixtures/format-1`: a repository git aee wrote before its run engine was reworked, and what that version
/// printed for it (`make.sh` made both).
private let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/format-1")

@Suite("a repository an earlier version wrote")
struct FormatFixtureTests {
    /// The fixture's repository, restored from its bundle with every ref as it was.
    func restored() throws -> Scratch {
        let repo = try Scratch()
        try repo.git("fetch", "-q", "--update-head-ok", fixture.appendingPathComponent("repository.bundle").path, "+refs/*:refs/*")
        try repo.git("checkout", "-q", "-f", "main")
        return repo
    }

    @Test("list, show and log print exactly what the version that wrote it printed")
    func readsIdentically() throws {
        let repo = try restored()
        let expected = fixture.appendingPathComponent("expected")
        #expect(try repo.aee("list", "--json").stdout == String(contentsOf: expected.appendingPathComponent("list.json"), encoding: .utf8))
        let files = try FileManager.default.contentsOfDirectory(atPath: expected.path).filter { $0 != "list.json" }.sorted()
        #expect(files.count == 16, "a show and a log for each of the 8 tasks")
        for file in files {
            // `show-<id>.json`, `log-<id>.json`
            let parts = file.dropLast(".json".count).split(separator: "-").map(String.init)
            let (command, id) = (parts[0], parts[1])
            let outcome = try repo.aee(command, id, "--json")
            #expect(outcome.stdout == (try String(contentsOf: expected.appendingPathComponent(file), encoding: .utf8)), "\(command) \(id): \(outcome.stderr)")
        }
        #expect(try repo.fsckIsClean())
    }

    @Test("the task whose run was killed in its second work item resumes from there and succeeds")
    func resumesIdentically() throws {
        let repo = try restored()
        let listed = try repo.json(try repo.aee("list", "--json").stdout)["tasks"] as? [[String: Any]] ?? []
        let id = try #require(listed.first { $0["state"] as? String == "RUNNING" }?["id"] as? String)
        let resumed = try repo.aee("resume", id, "--force", "--agent", fixture.appendingPathComponent("three-items.sh").path)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let events = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl").split(separator: "\n").map { try repo.json(String($0))["event"] as? String ?? "" }
        // The plan and item a were committed before the kill: only b and c run again.
        #expect(events == ["created", "approved", "queued", "started", "resumed", "planned", "work_item_done", "work_item_done", "work_item_done",
                           "verified", "iteration_passed", "succeeded"], "\(events)")
        #expect(try repo.git("show", "aee/\(id):c.txt") == "c done\n")
        #expect(try repo.fsckIsClean())
    }
}
