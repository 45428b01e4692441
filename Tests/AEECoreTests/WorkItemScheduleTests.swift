import Testing
@testable import AEECore

/// Which work items run next, and what of an agent's `depends_on` is kept.
@Suite("the work items' schedule")
struct WorkItemScheduleTests {
    static func item(_ id: String, _ dependsOn: [String]?) -> WorkItem { WorkItem(id: id, title: id, description: "", dependsOn: dependsOn) }

    @Test("independent items form one wave, an item needing them the next; one job, or no dependencies named, runs them one by one")
    func waves() {
        let items = [Self.item("a", []), Self.item("b", []), Self.item("c", ["a", "b"]), Self.item("d", ["a"])]
        let parallel = WorkItemSchedule(items: items, jobs: 4)
        #expect(parallel.wave(done: []) == [0, 1])
        #expect(parallel.wave(done: ["a"]) == [1, 3])
        #expect(parallel.wave(done: ["a", "b"]) == [2, 3])
        #expect(parallel.wave(done: ["a", "b", "c", "d"]) == [])
        #expect(WorkItemSchedule(items: items, jobs: 1).wave(done: []) == [0])
        #expect(WorkItemSchedule(items: items, jobs: 1).wave(done: ["a"]) == [1])
        let unsaid = [Self.item("a", nil), Self.item("b", nil), Self.item("c", nil)]
        #expect(WorkItemSchedule(items: unsaid, jobs: 4).wave(done: []) == [0])
        #expect(WorkItemSchedule(items: unsaid, jobs: 4).wave(done: ["a"]) == [1])
    }

    @Test("an item that names no dependencies in a plan where others do needs every earlier item")
    func unsaidMeansAllEarlier() {
        let items = [Self.item("a", []), Self.item("b", []), Self.item("c", nil), Self.item("d", [])]
        let schedule = WorkItemSchedule(items: items, jobs: 4)
        #expect(schedule.prerequisites(of: 2) == ["a", "b"])
        #expect(schedule.wave(done: []) == [0, 1, 3])
        #expect(schedule.wave(done: ["a", "b", "d"]) == [2])
    }

    @Test("dependencies on later, unknown or the item itself are left out with a note; renamed ids are followed")
    func sanitizedDependencies() {
        let (items, notes) = WorkItem.sanitized([
            .init(id: "Read Code", title: "Read", description: "", dependsOn: []),
            .init(id: "fix", title: "Fix", description: "", dependsOn: ["Read Code", "fix", "later", "Read Code"]),
            .init(id: "later", title: "Later", description: "", dependsOn: nil),
        ])
        #expect(items.map(\.id) == ["item-1", "fix", "later"])
        #expect(items.map(\.dependsOn) == [[], ["item-1"], nil])
        #expect(notes.contains("work item 'fix' depends on 'fix', which is no earlier item; left out"))
        #expect(notes.contains("work item 'fix' depends on 'later', which is no earlier item; left out"))
    }

    @Test("work_items.json of a plan without dependencies is written as before: no depends_on key")
    func formatUnchanged() throws {
        func json(_ item: WorkItem) throws -> String { String(decoding: try CanonicalJSON.compact(item), as: UTF8.self) }
        #expect(try json(Self.item("a", nil)) == #"{"description":"","id":"a","title":"a"}"#)
        #expect(try json(Self.item("b", ["a"])) == #"{"depends_on":["a"],"description":"","id":"b","title":"b"}"#)
    }

    @Test("the merge event reads and writes its items and conflicts")
    func mergeEvent() {
        let kind = TaskEvent.Kind.workItemsMerged(iteration: 2, workItems: ["a", "b"], conflicts: ["c"])
        #expect(kind.name == "work_items_merged")
        #expect(kind.details == ["iteration": "2", "work_items": "a,b", "conflicts": "c"])
        #expect(TaskEvent.Kind(name: kind.name, details: kind.details) == kind)
        #expect(TaskEvent.Kind(name: "work_items_merged", details: ["iteration": "1", "work_items": "a"]) == .workItemsMerged(iteration: 1, workItems: ["a"], conflicts: []))
        #expect(TaskEvent.Kind.named("work_items_merged") == .workItemsMerged)
    }
}
