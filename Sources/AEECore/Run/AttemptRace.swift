import Git
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An iteration's attempts side by side (`--attempts`, `--agents`): each a whole attempt (plan, work items, gates)
/// on a branch of its own (`aee/<id>-attempt-<n>`, then `.2`, `.3`, ...), in a workspace and through repository
/// handles of its own, on a thread of its own. The first the gates pass wins; the others are stopped (their agent
/// calls ended, their work committed on their branches) and kept.
struct AttemptRace {
    /// One attempt of the race and how it ended.
    struct Entry {
        /// From 1, in the order the agents were given.
        let candidate: Int
        let agent: AgentChoice
        let attempt: Attempt
        let outcome: Attempt.Outcome
        let state: RunState
    }

    /// The entries, by candidate, and which one won (nil: none passed). Nil when the task was canceled from elsewhere.
    typealias Result = (entries: [Entry], winner: Int?)

    /// Runs iteration `number`'s attempts from `state` (the task's workspace is the first attempt's), the attempts a
    /// dead run left on their branches taken up where it left them (`resuming`, by candidate).
    static func run(_ context: RunContext, state: RunState, number: Int, failure: FailureContext?,
                    resuming: [Int: AttemptProgress]) throws -> Result? {
        let winner = Winner()
        let spending = Spending()
        // What attempts a dead run left had spent counts from the start.
        for (candidate, progress) in resuming { spending.add(progress.usage, by: candidate) }
        let calls = SideBySideCalls<Entry?>()
        let tip = try context.taskTip()
        // Everything that may fail is opened before any attempt starts, so an error leaves none running. The handles
        // are then each attempt's thread's alone.
        let places = try context.settings.candidates.indices.map { index in
            (location: try context.workspace.workspaceLocation(for: context.id, beside: index + 1), twin: try context.workspace.twin())
        }
        for (index, candidate) in context.settings.candidates.enumerated() {
            let number = number, progress = resuming[index + 1], record = state.record
            let slot = index + 1
            nonisolated(unsafe) let workspace = index == 0 ? state.taskWorkspace : state.besideWorkspaces[index]
            let location = places[index].location
            nonisolated(unsafe) let twin = places[index].twin
            let lost: @Sendable () -> Bool = { [winner] in
                let first = winner.slot.load(ordering: .acquiring)
                return first != 0 && first != slot
            }
            context.events(.attemptStarted(iteration: number, candidate: slot, agent: candidate.choice.name))
            calls.start(index) {
                let start = progress?.tip ?? tip
                let taskWorkspace: TaskWorkspace
                if let workspace {
                    try workspace.move(to: start, trustingIndex: progress == nil)
                    taskWorkspace = workspace
                } else {
                    try FileManager.default.createDirectory(atPath: location.callFiles, withIntermediateDirectories: true)
                    taskWorkspace = try TaskWorkspace.open(for: context.id, in: twin.repository, at: start, location: location)
                }
                var own = context.candidate(candidate, through: twin, in: taskWorkspace, lost: lost)
                own.spending = spending
                guard var attempt = try Attempt(own, record: record, number: number, candidate: slot, failure: failure, resuming: progress) else {
                    return nil
                }
                var ownState = RunState(record: record, taskWorkspace: taskWorkspace)
                let outcome = try attempt.run(&ownState)
                if case .passed = outcome {
                    // The first to pass wins; the others read it between their steps and from their agents' calls.
                    _ = winner.slot.compareExchange(expected: 0, desired: slot, ordering: .acquiringAndReleasing)
                }
                return Entry(candidate: slot, agent: candidate.choice, attempt: attempt, outcome: outcome, state: ownState)
            }
        }
        var entries: [Entry] = []
        var canceled = false
        var failure: (any Error)?
        while let (_, result) = calls.next() {
            switch result {
            case .success(let entry?):
                entries.append(entry)
                context.events(.attemptEnded(iteration: number, candidate: entry.candidate, agent: entry.agent.name, verdict: verdict(entry.outcome)))
            case .success(nil):
                canceled = true
            case .failure(let error):
                // The others stop: this run ends on the error.
                _ = winner.slot.compareExchange(expected: 0, desired: -1, ordering: .acquiringAndReleasing)
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        if canceled { return nil }
        entries.sort { $0.candidate < $1.candidate }
        let first = winner.slot.load(ordering: .acquiring)
        return (entries, first > 0 ? first : nil)
    }

    /// What each attempt of the race has spent so far, so that `--max-cost` counts them all while they run.
    final class Spending: Sendable {
        private let spent = Mutex<[Int: Usage]>([:])

        func add(_ usage: Usage, by candidate: Int) { spent.withLock { $0[candidate] = ($0[candidate] ?? .unknown) + usage } }

        /// What the attempts other than `candidate` have spent.
        func others(than candidate: Int) -> Usage {
            spent.withLock { $0.filter { $0.key != candidate }.values.reduce(Usage.unknown, +) }
        }
    }

    /// The attempt that passed first (0: none yet; -1: none will, the run stops on an error), shared by the threads.
    private final class Winner: Sendable {
        let slot = Atomic<Int>(0)
    }

    /// How an attempt ended, as the race's record says it: `passed`, `lost` (stopped because another won),
    /// `failed`, or the reason it stopped.
    static func verdict(_ outcome: Attempt.Outcome) -> String {
        switch outcome {
        case .passed: "passed"
        case .failed: "failed"
        case .stopped(.canceled, Attempt.lostDetail): "lost"
        case .stopped(let reason, _): reason.rawValue
        }
    }
}

/// `attempts.json`: how each attempt of an iteration run side by side ended.
public struct AttemptRaceRecord: Codable, Sendable {
    public struct Attempt: Codable, Sendable {
        public var attempt: Int
        public var agent: String
        public var branch: String
        public var commit: String
        /// `passed`, `lost`, `failed`, or the reason it stopped.
        public var outcome: String
        @ExplicitNull public var detail: String?
        public var usage: Usage
    }

    var iteration: Int
    /// The attempt that won (whose change the iteration merged), or nil when none passed.
    @ExplicitNull public var winner: Int?
    public var attempts: [Attempt]
}
