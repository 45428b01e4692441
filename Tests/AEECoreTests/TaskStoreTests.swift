import Foundation
import Git
import Testing
@testable import AEECore

/// The repositories the store's tests run on: libgit2's on disk, and the in-memory one the core's in-process tests
/// use, which must behave the same.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case libgit2, memory

    var testDescription: String { rawValue }

    /// A new, empty repository of this kind; `cleanUp` removes what it left on disk.
    func make() throws -> (repository: any RecordRepository, cleanUp: () -> Void) {
        switch self {
        case .memory:
            return (InMemoryRepository(), {})
        case .libgit2:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("aee-store-\(UUID().uuidString)").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["init", "-q", "-b", "main", path]
            try process.run()
            process.waitUntilExit()
            return (try Repository.open(at: path), { try? FileManager.default.removeItem(atPath: path) })
        }
    }
}

let testIdentity = Identity(
    author: Signature(name: "A", email: "a@example.com", time: 1_800_000_000, offsetMinutes: 0),
    committer: Signature(name: "A", email: "a@example.com", time: 1_800_000_000, offsetMinutes: 0),
    isFallback: false)
let testMetadata = TaskMetadata(gates: ["doctor"], maxIterations: 20, runMode: .autonomous)

@Suite("the task store, on libgit2's repository and the in-memory one")
struct TaskStoreTests {
    @Test("a transition that lost a race is re-checked against the winner's state", arguments: Backend.allCases)
    func lostRaceIsRechecked(_ backend: Backend) throws {
        let (repository, cleanUp) = try backend.make()
        defer { cleanUp() }
        let store = TaskStore(repository: repository)
        let record = try store.create(title: "race", metadata: testMetadata, base: nil, identity: testIdentity)
        // Two writers read DRAFT; the first cancels, so the second's approve must be refused, not applied on a stale read.
        try store.transition(record.id, to: .canceled, identity: testIdentity)
        #expect(throws: TaskError.illegalTransition(record.id, from: .canceled, to: .approved)) {
            try store.transition(record.id, to: .approved, identity: testIdentity)
        }
        #expect(try store.history(of: record.id).map(\.event.event) == ["created", "canceled"])
    }

    @Test("resolve takes unique prefixes and refuses the rest", arguments: Backend.allCases)
    func resolve(_ backend: Backend) throws {
        let (repository, cleanUp) = try backend.make()
        defer { cleanUp() }
        let store = TaskStore(repository: repository)
        let record = try store.create(title: "one", metadata: testMetadata, base: nil, identity: testIdentity)
        #expect(try store.resolve(String(record.id.rawValue.prefix(3))) == record.id)
        #expect(try store.resolve(record.id.rawValue.uppercased()) == record.id)
        #expect(throws: TaskError.invalidID("a/b")) { try store.resolve("a/b") }
        #expect(throws: TaskError.self) { try store.resolve("zzzzzzzz") }
    }

    @Test("list has each task with its state; history pairs every event with the commit that recorded it", arguments: Backend.allCases)
    func listAndHistory(_ backend: Backend) throws {
        let (repository, cleanUp) = try backend.make()
        defer { cleanUp() }
        let store = TaskStore(repository: repository)
        let made = try (0..<3).map { try store.create(title: "task \($0)", metadata: testMetadata, base: nil, identity: testIdentity) }
        try store.transition(made[1].id, to: .approved, identity: testIdentity)
        try store.transition(made[1].id, to: .queued, identity: testIdentity)
        let listing = try store.list()
        #expect(listing.problems.isEmpty)
        // Made in the same millisecond and stamped with one time: the order among them is the ids'.
        #expect(listing.tasks.map(\.record.id) == made.map(\.id).sorted())
        #expect(Dictionary(uniqueKeysWithValues: listing.tasks.map { ($0.record.id, $0.record.state) })
                == [made[0].id: .draft, made[1].id: .queued, made[2].id: .draft])
        #expect(try store.list(state: .queued).tasks.map(\.record.id) == [made[1].id])
        let history = try store.history(of: made[1].id)
        #expect(history.map(\.event.event) == ["created", "approved", "queued"])
        // The newest event's commit is the branch's tip; each is a commit of the task with that event's trailer.
        #expect(history.last?.commit == (try repository.resolveReference(made[1].id.branch))?.hex)
        for entry in history {
            let commit = try repository.commit(try #require(entry.commit.flatMap(OID.init(hex:))))
            #expect(try Trailer.parse(commit.message).contains { $0.key == "AEE-Event" && $0.value == entry.event.event })
        }
    }

    @Test("moves taken together: a commit and an event each, one move of the branch, and none of them when one is refused",
          arguments: Backend.allCases)
    func movesTogether(_ backend: Backend) throws {
        let (repository, cleanUp) = try backend.make()
        defer { cleanUp() }
        let store = TaskStore(repository: repository)
        let record = try store.create(title: "chain", metadata: testMetadata, base: nil, identity: testIdentity,
                                      then: [TaskStore.Move(to: .approved), TaskStore.Move(to: .queued)])
        #expect(record.state == .queued)
        let queued = try #require(try repository.resolveReference(record.id.branch))
        let history = try store.history(of: record.id)
        #expect(history.map(\.event.event) == ["created", "approved", "queued"])
        // Each event in a commit of its own, each on the one before, the last at the branch's tip.
        let commits = try history.map { try #require($0.commit.flatMap(OID.init(hex:))) }
        #expect(Set(commits).count == 3 && commits.last == queued)
        for (parent, child) in zip(commits, commits.dropFirst()) { #expect(try repository.commit(child).parents == [parent]) }
        // QUEUED -> RUNNING is allowed, RUNNING -> APPROVED is not: neither is written, the branch stays.
        #expect(throws: TaskError.illegalTransition(record.id, from: .running, to: .approved)) {
            try store.transition(record.id, through: [TaskStore.Move(to: .running), TaskStore.Move(to: .approved)], identity: testIdentity)
        }
        #expect(try repository.resolveReference(record.id.branch) == queued)
        #expect(try store.record(of: record.id).state == .queued)
    }

    @Test("a record merged into HEAD whose branch was deleted is still listed and read, but no longer moves", arguments: Backend.allCases)
    func mergedRecord(_ backend: Backend) throws {
        let (repository, cleanUp) = try backend.make()
        defer { cleanUp() }
        let store = TaskStore(repository: repository)
        let record = try store.create(title: "merged", metadata: testMetadata, base: nil, identity: testIdentity)
        let tip = try #require(try repository.resolveReference(record.id.branch))
        try repository.updateReference("refs/heads/main", to: tip, expecting: nil, reflogMessage: "merge")
        try repository.deleteReference(record.id.branch, expecting: tip)
        #expect(try store.list().tasks.map(\.record.id) == [record.id])
        #expect(try store.place(of: record.id) == .merged)
        #expect(try store.record(of: record.id).title == "merged")
        #expect(throws: TaskError.noBranch(record.id)) { try store.transition(record.id, to: .approved, identity: testIdentity) }
        // Its id is never handed out again while HEAD holds its record.
        #expect(try store.create(title: "next", metadata: testMetadata, base: (tip, "refs/heads/main"), identity: testIdentity).id != record.id)
    }
}

@Suite("the task store against other writers, in process")
struct TaskStoreRaceTests {
    @Test("another writer moving the branch between the read and the write: the move is read again, re-checked against the winner's state, and written")
    func concurrentWriterIsRetried() throws {
        let repository = InMemoryRepository()
        let store = TaskStore(repository: repository)
        let record = try store.create(title: "contended", metadata: testMetadata, base: nil, identity: testIdentity)
        var interfered = false
        repository.beforeUpdate = { name in
            guard !interfered, name == record.id.branch else { return }
            interfered = true
            try store.transition(record.id, to: .approved, identity: testIdentity)
        }
        let (from, canceled) = try store.transition(record.id, to: .canceled, identity: testIdentity) { $0.exitDetail = "written once" }
        #expect(from == .approved)
        #expect(canceled.exitDetail == "written once")
        #expect(try store.history(of: record.id).map(\.event.event) == ["created", "approved", "canceled"])
    }

    @Test("a writer whose branch keeps moving under it gives up with concurrentUpdate and writes nothing")
    func endlessContention() throws {
        let repository = InMemoryRepository()
        let store = TaskStore(repository: repository)
        let record = try store.create(title: "contended", metadata: testMetadata, base: nil, identity: testIdentity)
        let created = try #require(try repository.resolveReference(record.id.branch))
        var moves = 0
        repository.beforeUpdate = { name in
            // Another process writes a commit of its own to the branch just before each compare-and-swap.
            guard name == record.id.branch, let tip = try repository.resolveReference(name) else { return }
            moves += 1
            let commit = try repository.commit(tip)
            repository.force(name, to: try repository.writeCommit(tree: commit.tree, parents: [tip], author: testIdentity.author,
                                                                  committer: testIdentity.committer, message: commit.message + "\nmove \(moves)\n"))
        }
        #expect(throws: TaskError.concurrentUpdate(record.id)) { try store.transition(record.id, to: .approved, identity: testIdentity) }
        #expect(moves == 12)
        repository.beforeUpdate = nil
        let history = try repository.history(from: try #require(try repository.resolveReference(record.id.branch)), excluding: created)
        #expect(history.count == 12 && history.allSatisfy { $0.message.contains("\nmove ") }, "nothing of the loser's on the branch")
    }
}
