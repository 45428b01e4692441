import Foundation
import Git
import Testing
@testable import AEECore

@Suite("the task store")
struct TaskStoreTests {
    let identity = Identity(
        author: Signature(name: "A", email: "a@example.com", time: 1_800_000_000, offsetMinutes: 0),
        committer: Signature(name: "A", email: "a@example.com", time: 1_800_000_000, offsetMinutes: 0),
        isFallback: false)
    let metadata = TaskMetadata(gates: ["doctor"], maxIterations: 20, runMode: .autonomous)

    func scratchStore() throws -> (TaskStore, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("aee-store-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["init", "-q", path]
        try process.run()
        process.waitUntilExit()
        return (TaskStore(repository: try Repository.open(at: path)), path)
    }

    @Test("a transition that lost a race is re-checked against the winner's state")
    func lostRaceIsRechecked() throws {
        let (store, path) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let record = try store.create(title: "race", metadata: metadata, base: nil, identity: identity)
        // Two writers read DRAFT; the first cancels, so the second's approve must be refused, not applied on a stale read.
        try store.transition(record.id, to: .canceled, identity: identity)
        #expect(throws: TaskError.illegalTransition(record.id, from: .canceled, to: .approved)) {
            try store.transition(record.id, to: .approved, identity: identity)
        }
        #expect(try store.history(of: record.id).map(\.event.event) == ["created", "canceled"])
    }

    @Test("resolve takes unique prefixes and refuses the rest")
    func resolve() throws {
        let (store, path) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let record = try store.create(title: "one", metadata: metadata, base: nil, identity: identity)
        #expect(try store.resolve(String(record.id.rawValue.prefix(3))) == record.id)
        #expect(try store.resolve(record.id.rawValue.uppercased()) == record.id)
        #expect(throws: TaskError.invalidID("a/b")) { try store.resolve("a/b") }
        #expect(throws: TaskError.self) { try store.resolve("zzzzzzzz") }
    }
}
