import Foundation
import Testing
@testable import AEECore

/// The typed events read and write exactly the on-disk format, and the run's state folds out of them.
@Suite("typed events and what the log says about a run")
struct TaskEventKindTests {
    /// The events of the format-1 fixture, as its `log --json` printed them.
    static let fixtureEvents: [TaskEvent] = {
        let expected = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/format-1/expected")
        struct Log: Decodable { let events: [TaskEvent] }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: expected.path).filter { $0.hasPrefix("log-") }.sorted()) ?? []
        return files.flatMap { file in
            (try? JSONDecoder().decode(Log.self, from: Data(contentsOf: expected.appendingPathComponent(file))).events) ?? []
        }
    }()

    @Test("every event an earlier version wrote reads as a known kind and writes back byte for byte")
    func roundTrip() throws {
        #expect(Self.fixtureEvents.count > 40)
        for event in Self.fixtureEvents {
            let kind = event.kind
            if case .unknown = kind { Issue.record("\(event.event) \(event.details) did not read") }
            #expect(kind.name == event.event)
            #expect(kind.details == event.details, "\(event.event)")
            let written = TaskEvent(time: event.time, kind: kind, actor: event.actor, fromState: event.fromState, toState: event.toState)
            #expect(try CanonicalJSON.compact(written) == CanonicalJSON.compact(event))
        }
        let names = Set(Self.fixtureEvents.map(\.event))
        for name in ["created", "approved", "queued", "started", "planned", "work_item_done", "verified", "iteration_failed", "iteration_passed",
                     "succeeded", "failed", "blocked", "canceled"] {
            #expect(names.contains(name), "the fixture has a '\(name)' event")
        }
    }

    @Test("a trailer's event name alone tells an attempt's steps and an iteration's end from the rest, as every kind writes it")
    func namedFamilies() {
        for event in Self.fixtureEvents {
            let expected: TaskEvent.Kind.Named = switch event.kind {
            case .planned: .planned
            case .workItemEnded: .workItemEnded
            case .verified: .verified
            case .iterationEnded: .iterationEnded
            default: .other
            }
            #expect(TaskEvent.Kind.named(event.event) == expected, "\(event.event)")
        }
        #expect(TaskEvent.Kind.named("work_item_exploded") == .other)
        #expect(TaskEvent.Kind.named("iteration_sideways") == .other)
    }

    @Test("names a newer version may write, and details this one cannot read, are unknown, not guessed")
    func unknownKinds() {
        #expect(TaskEvent.Kind(name: "split", details: [:]) == .unknown("split"))
        #expect(TaskEvent.Kind(name: "planned", details: ["iteration": "x", "work_items": "2"]) == .unknown("planned"))
        #expect(TaskEvent.Kind(name: "iteration_failed", details: ["iteration": "1", "attempt": "ab", "failure": "moon_phase"]) == .unknown("iteration_failed"))
        #expect(TaskEvent.Kind(name: "iteration_exploded", details: ["iteration": "1", "attempt": "ab"]) == .unknown("iteration_exploded"))
        #expect(TaskEvent.Kind(name: "work_item_sleeping", details: ["iteration": "1", "work_item": "a"]) == .unknown("work_item_sleeping"))
        #expect(TaskEvent.Kind(name: "iteration_timeout", details: ["iteration": "2", "attempt": "ab", "detail": "late"])
                == .iterationEnded(iteration: 2, attempt: "ab", end: .stopped(.timeout, detail: "late")))
    }

    func event(_ kind: TaskEvent.Kind, at seconds: Int64 = 0) -> TaskEvent {
        TaskEvent(time: Timestamp(seconds: seconds), kind: kind, actor: "A <a@example.com>", fromState: .running, toState: .running)
    }

    func failed(_ iteration: Int, _ signature: String, agent: Bool = false) -> TaskEvent {
        event(.iterationEnded(iteration: iteration, attempt: "ab", end: .failed(detail: nil, signature: signature, failure: agent ? .agentFailed : .gatesFailed)))
    }

    @Test("the owner is the last claim; a run's failures count from its own start; an iteration end is seen past resumes only")
    func runStory() {
        let first = TaskEvent.Claim(["host": "h1", "pid": "10", "agent": "codex"])
        let second = TaskEvent.Claim(["host": "h2", "pid": "20", "agent": "aider", "model": "m"])
        let events = [event(.created), event(.started(first), at: 1), failed(1, "s1"), failed(2, "s2", agent: true),
                      event(.finished(.blocked, cause: "error"), at: 2), event(.requeued), event(.started(second), at: 3), failed(3, "s3", agent: true),
                      event(.resumed(first, iteration: 3, previousOwner: "pid 20 on h2"), at: 4)]
        let story = RunStory(events)
        #expect(story.claim?.0 == first)
        #expect(story.claim?.at == Timestamp(seconds: 4))
        #expect(story.failures.map(\.signature) == ["s3"], "the run before the block is not this run's")
        #expect(story.failures.map(\.agentFailed) == [true])
        #expect(story.lastIterationEnd == .failed(detail: nil, signature: "s3", failure: .agentFailed), "the resume does not hide it")
        let midIteration = RunStory(events + [event(.planned(iteration: 4, workItems: 2, source: "agent"))])
        #expect(midIteration.lastIterationEnd == nil)
        #expect(RunStory([event(.created)]).claim == nil)
        #expect(RunOwner(of: events).host == "h1")
        #expect(RunOwner(of: events).pid == 10)
    }
}
