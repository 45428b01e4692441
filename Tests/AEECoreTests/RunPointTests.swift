import Git
import Testing
@testable import AEECore

/// Where a run stands, read back from its commits the way `resume`, `status` and `show` read it: written step by step
/// as the runner writes them, on the in-memory repository, in process.
@Suite("where a run stands, read from its commits, in process")
struct RunPointTests {
    /// What an agent call's artifact holds for resuming.
    struct Call: Encodable {
        var agent = AgentReport(status: .done, exitCode: 0, durationMilliseconds: 5, outputTail: "", outputDroppedBytes: 0, resultProblem: nil)
        var usage = Usage(costUSD: 0.25, turns: 2)
    }

    let repository = InMemoryRepository()
    var store: TaskStore { TaskStore(repository: repository) }
    let items = [WorkItem(id: "a", title: "First", description: ""), WorkItem(id: "b", title: "Second", description: "")]

    /// A task taken by a run: created, approved, queued, started.
    func runningTask() throws -> TaskID {
        let id = try store.create(title: "Run me", metadata: testMetadata, base: nil, identity: testIdentity).id
        try store.transition(id, to: .approved, identity: testIdentity)
        try store.transition(id, to: .queued, identity: testIdentity)
        try store.transition(id, to: .running, kind: .started(TaskEvent.Claim(["host": "here", "pid": "1"])), identity: testIdentity)
        return id
    }

    /// Commits one step of iteration `iteration` on top of `tip` (the task branch's tip for an attempt's first
    /// step), on `branch`, as the runner does; returns the new tip.
    func step(_ id: TaskID, _ kind: TaskEvent.Kind, iteration: Int, on branch: String, after tip: OID, expecting: OID?,
              parents extra: [OID] = [], artifacts: [(String, [UInt8])], trailers: [(key: String, value: String)] = []) throws -> OID {
        let record = try store.record(of: id, at: tip)
        let change = RecordChange.runStep(kind, record: record, iteration: iteration, artifacts: artifacts.map { ("iterations/\(iteration)/" + $0.0, $0.1) },
                                          title: record.title, trailers: trailers, redactor: Redactor(environment: [:]), identity: testIdentity)
        return try store.commit(change, onto: try repository.commit(tip).tree, parents: [tip] + extra, branch: branch, expecting: expecting, identity: testIdentity)
    }

    func planned(_ id: TaskID, iteration: Int, after tip: OID) throws -> OID {
        try step(id, .planned(iteration: iteration, workItems: items.count, source: "agent"), iteration: iteration, on: id.attemptBranch(iteration),
                 after: tip, expecting: nil,
                 artifacts: [("open_plan.json", try CanonicalJSON.encode(Call())), ("work_items.json", try CanonicalJSON.encode(WorkItemList(iteration: iteration, workItems: items)))])
    }

    func itemDone(_ id: TaskID, _ item: String, iteration: Int, after tip: OID) throws -> OID {
        try step(id, .workItemEnded(iteration: iteration, workItem: item, status: .done), iteration: iteration, on: id.attemptBranch(iteration),
                 after: tip, expecting: tip, artifacts: [("work_item_\(item).json", try CanonicalJSON.encode(Call()))], trailers: [("AEE-Work-Item", item)])
    }

    func verified(_ id: TaskID, iteration: Int, after tip: OID) throws -> OID {
        let results = #"{"passed": false, "results": [{"gate": "tests", "status": "failed", "exit_code": 1, "output_tail": "FAIL: 2 + 3 is -1\n"}]}"#
        return try step(id, .verified(iteration: iteration, passed: false, cleared: nil), iteration: iteration, on: id.attemptBranch(iteration),
                        after: tip, expecting: tip, artifacts: [("gate_results.json", Array(results.utf8))])
    }

    @Test("after each step of an attempt, resume finds exactly what was committed and status the stage and work item")
    func resumePointAfterEachStep() throws {
        let id = try runningTask()
        let taskTip = try #require(try repository.resolveReference(id.branch))
        func progress() throws -> AttemptProgress? { try AttemptProgress.read(id, number: 1, in: store, taskTip: taskTip) }
        func stage() throws -> String {
            let (stage, item) = try store.progress(of: try store.record(of: id))
            return stage.rawValue + (item.first.map { " \($0.index)/\($0.count) \($0.id)" } ?? "")
        }

        #expect(try progress() == nil)
        #expect(try stage() == "planning")

        var tip = try planned(id, iteration: 1, after: taskTip)
        #expect(try progress()?.plan?.items == items)
        #expect(try progress()?.done.isEmpty == true)
        #expect(try progress()?.start == taskTip)
        #expect(try stage() == "executing 1/2 a")

        tip = try itemDone(id, "a", iteration: 1, after: tip)
        #expect(try progress()?.done.map(\.commit) == [tip])
        #expect(try stage() == "executing 2/2 b")

        tip = try itemDone(id, "b", iteration: 1, after: tip)
        #expect(try progress()?.done.count == 2)
        #expect(try progress()?.verified == nil)
        #expect(try stage() == "verifying")
        // What the agents reported spending is added up from the artifacts: the plan and two items.
        #expect(try progress()?.usage == Usage(costUSD: 0.75, turns: 6))

        tip = try verified(id, iteration: 1, after: tip)
        let verdict = try #require(try progress()?.verified)
        #expect(!verdict.passed)
        #expect(verdict.failedGates == [FailureContext.FailedGate(gate: "tests", status: "failed", exitCode: 1, outputTail: "FAIL: 2 + 3 is -1\n")])
        #expect(try progress()?.tip == tip)
    }

    @Test("an attempt branch in a shape the runner does not write is refused, not guessed at; status falls back to planning")
    func foreignShapeRefused() throws {
        let id = try runningTask()
        let taskTip = try #require(try repository.resolveReference(id.branch))
        let tip = try planned(id, iteration: 1, after: taskTip)
        // The gates' verdict before any work item was done.
        _ = try verified(id, iteration: 1, after: tip)
        #expect(throws: RunError.cannotResume(id, reason: "aee/\(id)-attempt-1: a 'verified' commit where git aee does not make one")) {
            try AttemptProgress.read(id, number: 1, in: store, taskTip: taskTip)
        }
        #expect(try store.progress(of: try store.record(of: id)).0 == .planning)
    }

    @Test("the iteration's end on the task branch: the run's story, show's story and the next iteration's starting point follow from it")
    func iterationEnd() throws {
        let id = try runningTask()
        let taskTip = try #require(try repository.resolveReference(id.branch))
        var tip = try planned(id, iteration: 1, after: taskTip)
        tip = try itemDone(id, "a", iteration: 1, after: tip)
        let itemA = tip
        tip = try itemDone(id, "b", iteration: 1, after: tip)
        tip = try verified(id, iteration: 1, after: tip)
        let summary = WorkItemsSummary(iteration: 1, workItems: [
            .init(id: "a", title: "First", status: "done", commit: itemA.hex, filesChanged: 1),
            .init(id: "b", title: "Second", status: "done", commit: tip.hex, filesChanged: 0),
        ], usage: Usage(costUSD: 0.75, turns: 6))
        let failure = FailureContext(iteration: 1, reason: .gatesFailed, failedGates: [], agent: nil, filesChanged: ["calc.sh"], signature: "s1")
        let end = TaskEvent.IterationEnd.failed(detail: "gates tests did not pass", signature: "s1", failure: .gatesFailed)
        var record = try store.record(of: id, at: tip)
        record.iteration = 1
        let change = RecordChange.runStep(.iterationEnded(iteration: 1, attempt: tip.hex, end: end), record: record, iteration: 1,
                                          artifacts: [("iterations/1/work_items_summary.json", try CanonicalJSON.encode(summary)),
                                                      ("iterations/1/failure_context.json", try CanonicalJSON.encode(failure))],
                                          title: record.title, note: end.detail, redactor: Redactor(environment: [:]), identity: testIdentity)
        let merge = try store.commit(change, onto: try repository.commit(tip).tree, parents: [taskTip, tip], branch: id.branch, expecting: taskTip,
                                     identity: testIdentity)
        try store.deleteBranch(id.attemptBranch(1), expecting: tip)

        let events = try store.events(of: id)
        let run = RunStory(events)
        #expect(run.claim?.0.host == "here")
        #expect(run.failures.map(\.signature) == ["s1"] && run.failures.map(\.agentFailed) == [false])
        #expect(run.lastIterationEnd == end)
        // The next iteration starts planning from the merge.
        #expect(try AttemptProgress.read(id, number: 2, in: store, taskTip: merge) == nil)
        #expect(try store.progress(of: try store.record(of: id)).0 == .planning)

        let story = try store.story(of: id)
        #expect(story.iterations.map(\.number) == [1, 2])
        #expect(story.iterations[0].end == end)
        #expect(story.iterations[0].workItems.map(\.commit) == [itemA.hex, tip.hex])
        #expect(story.iterations[0].gates.map(\.name) == ["tests"] && story.iterations[0].gates[0].firstLine == "FAIL: 2 + 3 is -1")
        #expect(story.iterations[0].failure == failure)
        #expect(story.iterations[1].end == nil, "the iteration the run is in now")
        // Every event is paired with the commit that recorded it, attempts included (they hang off the merge).
        #expect(try store.history(of: id).allSatisfy { $0.commit != nil })
    }

    @Test("side by side: an item started beside the attempt is under way, one finished beside it is taken as it is, and the merge makes both done")
    func sideBySide() throws {
        let id = try runningTask()
        let taskTip = try #require(try repository.resolveReference(id.branch))
        func progress() throws -> AttemptProgress { try #require(try AttemptProgress.read(id, number: 1, in: store, taskTip: taskTip)) }
        let planned = try planned(id, iteration: 1, after: taskTip)
        // a started (its branch names the attempt's tip); b finished on its own branch.
        try repository.updateReference(TaskID.itemBranch(of: id.attemptBranch(1), "a"), to: planned, expecting: nil, reflogMessage: "")
        let b = try step(id, .workItemEnded(iteration: 1, workItem: "b", status: .done), iteration: 1, on: TaskID.itemBranch(of: id.attemptBranch(1), "b"), after: planned,
                         expecting: nil, artifacts: [("work_item_b.json", try CanonicalJSON.encode(Call()))], trailers: [("AEE-Work-Item", "b")])
        #expect(try progress().startedBeside == ["a"])
        #expect(try progress().finishedBeside.map(\.item) == ["b"])
        #expect(try progress().done.isEmpty)
        let (stage, underWay) = try store.progress(of: try store.record(of: id))
        #expect(stage == .executing && underWay.map(\.id) == ["a"])

        let a = try step(id, .workItemEnded(iteration: 1, workItem: "a", status: .done), iteration: 1, on: TaskID.itemBranch(of: id.attemptBranch(1), "a"), after: planned,
                         expecting: planned, artifacts: [("work_item_a.json", try CanonicalJSON.encode(Call()))], trailers: [("AEE-Work-Item", "a")])
        try repository.updateReference(id.attemptBranch(1), to: planned, expecting: planned, reflogMessage: "")
        _ = try step(id, .workItemsMerged(iteration: 1, workItems: ["a", "b"], conflicts: []), iteration: 1, on: id.attemptBranch(1), after: a,
                     expecting: planned, parents: [b], artifacts: [("work_item_b.json", try CanonicalJSON.encode(Call()))],
                     trailers: [("AEE-Work-Item", "a"), ("AEE-Work-Item", "b")])
        #expect(try progress().done.map(\.item) == ["a", "b"])
        #expect(try progress().lastCommitted.map(\.item) == ["a", "b"])
        #expect(try progress().done.map(\.commit) == [a, b])
        #expect(try progress().usage == Usage(costUSD: 0.75, turns: 6))
        #expect(try store.progress(of: try store.record(of: id)).0 == .verifying)
    }

}
