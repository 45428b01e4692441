import Git
import Testing
@testable import AEECore

@Suite("the queue a worker reads")
struct TaskQueueTests {
    func queued(_ title: String, in store: TaskStore) throws -> TaskID {
        let id = try store.create(title: title, metadata: testMetadata, base: nil, identity: testIdentity).id
        try store.transition(id, to: .approved, identity: testIdentity)
        try store.transition(id, to: .queued, identity: testIdentity)
        return id
    }

    @Test("a look reads only the branches said to have moved; the first look, and one told nothing, read them all")
    func movedBranches() throws {
        let store = TaskStore(repository: InMemoryRepository())
        let first = try queued("first", in: store)
        let queue = TaskQueue(store: store)
        #expect(try queue.ready(moved: []) { _ in }.map(\.record.id) == [first], "the first look reads every branch")

        let second = try queued("second", in: store)
        try store.transition(first, to: .canceled, identity: testIdentity)
        #expect(try queue.ready(moved: []) { _ in }.map(\.record.id) == [first], "branches not said to have moved are taken as they were")
        #expect(Set(try queue.ready(moved: [second]) { _ in }.map(\.record.id)) == [first, second])
        #expect(try queue.ready(moved: [first]) { _ in }.map(\.record.id) == [second])

        let third = try queued("third", in: store)
        #expect(Set(try queue.ready(moved: nil) { _ in }.map(\.record.id)) == [second, third], "nil reads every branch")
    }
}
