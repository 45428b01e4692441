import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A task's iterations as its records tell them, for `show`: what each one did, what the gates said, how long it
/// took and what it cost.
public struct TaskStory: Sendable {
    public struct Iteration: Sendable {
        public let number: Int
        /// How it ended; nil for the one a run is in now.
        public let end: TaskEvent.IterationEnd?
        public let workItems: [WorkItem]
        public let gates: [Gate]
        /// What the agents reported it cost; nil when they reported nothing.
        public let costUSD: Decimal?
        /// From the step before it to its end, by the records' clock (whole seconds); nil while it runs.
        public let seconds: Int64?
    }

    public struct WorkItem: Sendable {
        public let id: String
        public let title: String
        /// `done`, `failed`, `needs_human`, `timed_out`, `killed`, or `not_run`.
        public let status: String
        public let filesChanged: Int
    }

    public struct Gate: Sendable {
        public let name: String
        public let status: String
        public let exitCode: Int32?
        /// The first line of what it printed, when it did not pass.
        public let firstLine: String?
        /// The last part of what it printed.
        public let output: String
    }

    public let iterations: [Iteration]
    /// When its first run started; nil before any run.
    public let started: Timestamp?
    /// From the first run's start to the last event, when the task has run.
    public let seconds: Int64?
}

extension TaskStore {
    /// The story of `id`'s iterations, read from its records (the artifacts of each iteration, and its events).
    public func story(of id: TaskID) throws -> TaskStory {
        let location = try location(of: id)
        let record = try read(at: location)
        let events = try readEvents(at: location)
        func artifact<T: Decodable>(_ iteration: Int, _ name: String, as type: T.Type) -> T? {
            let path = "\(id.recordDirectory)/iterations/\(iteration)/\(name)"
            return (try? repository.blob(at: path, inTree: location.tree)).flatMap { $0 }.flatMap { try? JSONInput.decode(T.self, from: $0, file: path) }
        }
        var iterations: [TaskStory.Iteration] = []
        for number in stride(from: 1, through: record.iteration, by: 1) {
            let summary = artifact(number, "work_items_summary.json", as: WorkItemsSummary.self)
            let gates = artifact(number, "gate_results.json", as: StoredGateReport.self)?.results.map { result in
                TaskStory.Gate(name: result.gate, status: result.status.rawValue, exitCode: result.exitCode,
                               firstLine: result.status == .passed ? nil : result.outputTail.split(whereSeparator: \.isNewline).first.map(String.init),
                               output: result.outputTail)
            } ?? []
            let ending = events.lastIndex { if case .iterationEnded(number, _, _) = $0.kind { true } else { false } }
            let first = events.firstIndex { $0.details["iteration"] == String(number) && !($0.kind.claim != nil) }
            var seconds: Int64?
            if let ending, let first, first > 0 { seconds = events[ending].time.seconds - events[first - 1].time.seconds }
            var end: TaskEvent.IterationEnd?
            if let ending, case .iterationEnded(_, _, let recorded) = events[ending].kind { end = recorded }
            iterations.append(TaskStory.Iteration(
                number: number, end: end,
                workItems: summary?.workItems.map { .init(id: $0.id, title: $0.title, status: $0.status, filesChanged: $0.filesChanged) } ?? [],
                gates: gates, costUSD: summary?.usage.costUSD, seconds: seconds))
        }
        if record.state == .running {
            iterations.append(TaskStory.Iteration(number: record.iteration + 1, end: nil, workItems: [], gates: [], costUSD: nil, seconds: nil))
        }
        let start = events.first { $0.kind.claim != nil }?.time
        return TaskStory(iterations: iterations, started: start, seconds: start.flatMap { start in events.last.map { $0.time.seconds - start.seconds } })
    }
}

/// How `change(of:)` prints a task's change (`git diff`, `--name-only`, `--name-status`, `--stat`).
public typealias PatchFormat = Git.PatchFormat

extension Workspace {
    /// The change task `id` made, from its base commit to its branch's tip, without its records under `.aee/`:
    /// limited to `paths` when any are given, printed in `format`.
    public func change(of id: TaskID, paths: [String], format: PatchFormat) throws -> [UInt8] {
        let location = try store.location(of: id)
        let record = try store.read(at: location)
        let base = try record.baseCommit.flatMap(OID.init(hex:)).map { commit in
            guard (try? repository.commit(commit)) != nil else { throw AEEError.baseCommitMissing(id, commit: commit.hex) }
            return try repository.commit(commit).tree
        }
        return try repository.patch(from: base, to: location.tree, paths: paths, excluding: ".aee", format: format)
    }
}

/// Writes `bytes` to `path` whole or not at all (a file beside it, then a rename), for pages a command writes out.
public func writeWhole(_ bytes: [UInt8], to path: String) throws {
    do {
        try replaceFile(path, with: bytes)
    } catch let error as GitError {
        throw AEEError.fileSystem(path: path, reason: "cannot be written: \(error.message)")
    }
}
