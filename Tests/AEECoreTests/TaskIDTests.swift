import Testing
@testable import AEECore

@Suite("task ids")
struct TaskIDTests {
    @Test("random ids are eight characters of lowercase base32 and differ")
    func randomIDs() {
        let ids = (0..<2000).map { TaskID.random(millisecond: $0 % 1000) }
        #expect(ids.allSatisfy { $0.rawValue.count == 8 && TaskID($0.rawValue) == $0 })
        #expect(Set(ids).count == ids.count)
    }

    @Test("tasks made in the same second list in the order they were made, whatever their random part")
    func sameSecondOrder() throws {
        let second = Timestamp(seconds: 1_800_000_000)
        let made = (0..<1000).map { millisecond in
            TaskRecord(id: TaskID.random(millisecond: millisecond), title: "t", createdBy: "a", at: second, baseCommit: nil, baseBranch: nil,
                       metadata: TaskMetadata(gates: ["doctor"], maxIterations: 3, runMode: .autonomous))
        }
        #expect(made.shuffled().sorted(by: TaskRecord.createdBefore).map(\.id) == made.map(\.id))
    }

    @Test("nothing that could escape a path or break a ref name is an id", arguments: [
        "../../etc", "/etc/pas", ".git", "abc/defg", "abcdefg.", "ABCDEFGH", "abcd\u{0}efg", "abc defg", "abcdefgi", "abcdefghj", "abcdefg", "", "abc..def", "@{abcdef",
    ])
    func rejectsUnsafe(text: String) {
        #expect(TaskID(text) == nil)
    }

    @Test("ids map to their branch and record paths")
    func paths() throws {
        let id = try #require(TaskID("k3m9x2ab"))
        #expect(id.branch == "refs/heads/aee/k3m9x2ab")
        #expect(id.recordPath == ".aee/tasks/k3m9x2ab/task.json")
        #expect(id.eventLogPath == ".aee/tasks/k3m9x2ab/events.jsonl")
    }

    @Test("prefixes are what a user may type")
    func prefixes() {
        #expect(TaskID.isPrefix("k3m"))
        #expect(!TaskID.isPrefix(""))
        #expect(!TaskID.isPrefix("k3m9x2ab0"))
        #expect(!TaskID.isPrefix("../"))
    }
}
