import Foundation
import Testing

extension Scratch {
    /// Queues `count` tasks; returns their ids in the order queued.
    func queue(_ count: Int, _ title: String = "Make calc add") throws -> [String] {
        try (1...count).map { index in
            let outcome = try aee("task", "\(title) \(index)", "--queue")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            return outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// The events of `id`'s commits on its branch and every attempt, one per commit, by their trailers.
    func events(of id: String) throws -> [String] {
        try git("log", "--format=%(trailers:key=AEE-Event,valueonly)", "aee/\(id)").split(separator: "\n").map(String.init)
    }
}

@Suite("the queue and its workers")
struct QueueTests {
    @Test("task --queue records QUEUED and returns; status lists it; worker --once runs it and exits")
    func queueAndRunOnce() throws {
        let repo = try calculatorRepository(fixed: true)
        let before = try repo.userState()
        let ids = try repo.queue(2)
        for id in ids { #expect(try repo.artifact(id, "task.json")["state"] as? String == "QUEUED") }
        #expect(try repo.events(of: ids[0]) == ["queued", "approved", "created"])
        let status = try repo.json(try repo.aee("status", "--json").stdout)
        #expect((status["queued"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.sorted() == ids.sorted())

        let worker = try repo.aee("worker", "--once", "--agent", exampleAgent("learner"))
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(worker.stdout.split(separator: "\n").count == 2)
        for id in ids {
            #expect(worker.stdout.contains("\(id) SUCCEEDED (done) after 1 iteration"))
            #expect(try repo.artifact(id, "task.json")["state"] as? String == "SUCCEEDED")
        }
        let after = try repo.json(try repo.aee("status", "--json").stdout)
        #expect((after["queued"] as? [Any])?.isEmpty == true)
        #expect((after["recent"] as? [[String: Any]])?.count == 2)
        #expect(try repo.userState() == before)
        #expect(try repo.fsckIsClean())
    }

    @Test("20 queued tasks, 3 workers on one repository: each task is claimed and run exactly once")
    func threeWorkers() throws {
        let repo = try calculatorRepository(fixed: true)
        let ids = try repo.queue(20)
        let workers = try (1...3).map { _ in
            try repo.start(["worker", "--once", "--jobs", "2", "--agent", exampleAgent("learner")])
        }
        for worker in workers {
            worker.waitUntilExit()
            #expect(worker.terminationStatus == 0)
        }
        for id in ids {
            let events = try repo.events(of: id)
            #expect(events.filter { $0 == "started" }.count == 1, "\(id): \(events)")
            #expect(events.filter { $0 == "planned" }.count == 1, "\(id): \(events)")
            let detail = try repo.artifact(id, "task.json")["exit_detail"] ?? ""
            #expect(events.first == "succeeded", "\(id): \(events) \(detail)")
        }
        #expect(try repo.fsckIsClean())
        #expect(try repo.git("worktree", "list").split(separator: "\n").count == 1)
    }

    @Test("a waiting worker starts a task as soon as it is queued, woken by the ref, not its 30-second timer")
    func wakesOnQueue() throws {
        let repo = try calculatorRepository(fixed: true)
        let worker = try repo.start(["worker", "--agent", exampleAgent("learner")])
        // The worker reads the queue at start, then sleeps until a ref changes or 30 s pass; 20 s is the bound here,
        // so only the event of the new task's ref can have woken it.
        usleep(500_000)
        let id = try #require(try repo.queue(1).first)
        #expect(waitUntil(seconds: 20) { (try? repo.artifact(id, "task.json")["state"] as? String) == "SUCCEEDED" })
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 143)
    }

    @Test("SIGTERM to a worker stops its run: the task records interrupted, the agent's group is killed, exit 143")
    func workerInterrupted() throws {
        let repo = try calculatorRepository()
        let (agent, marks) = try repo.slowAgent()
        let id = try #require(try repo.queue(1).first)
        let worker = try repo.start(["worker", "--agent", "'\(agent)'"])
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/executing") })
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 143)
        let record = try repo.artifact(id, "task.json")
        #expect(record["state"] as? String == "BLOCKED")
        #expect(record["exit_reason"] as? String == "interrupted")
        let child = try String(contentsOfFile: marks + "/child", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(processIsGone(child), "the agent's child survived")
        #expect(try repo.fsckIsClean())
    }

    @Test("--queue refuses what only a run now could use, and interactive mode, writing nothing")
    func queueRefusals() throws {
        let repo = try calculatorRepository()
        let refs = try repo.refs()
        for flag in ["--here", "--merge", "--draft"] {
            let outcome = try repo.aee("task", "X", "--queue", flag)
            #expect(outcome.status == 129)
            #expect(outcome.stderr.hasPrefix("error: --queue cannot be used with \(flag)") || outcome.stderr.hasPrefix("error: --\(flag.dropFirst(2)) cannot be used with --queue"), "\(outcome.stderr)")
        }
        let interactive = try repo.aee("task", "X", "--queue", "--mode", "interactive")
        #expect(interactive.status == 128)
        #expect(interactive.stderr.hasPrefix("fatal: an interactive task cannot be queued"))
        let unknownGate = try repo.aee("task", "X", "--queue", "--gate", "nope")
        #expect(unknownGate.status == 128)
        #expect(try repo.refs() == refs)
    }

    @Test("run --if-queued runs a queued task, and quietly exits 5 for one that is not queued any more")
    func ifQueued() throws {
        let repo = try calculatorRepository(fixed: true)
        let id = try #require(try repo.queue(1).first)
        let first = try repo.aee("run", id, "--if-queued", "--agent", exampleAgent("learner"))
        #expect(first.status == 0, "\(first.stderr)")
        let second = try repo.aee("run", id, "--if-queued", "--agent", exampleAgent("learner"))
        #expect(second.status == 5)
        #expect(second.stdout.isEmpty && second.stderr.isEmpty)
    }
}
