import AEECore
import Synchronization

/// Shows a run as it goes, on stderr: a live line on a terminal (stage, iteration, work item, elapsed time, gates
/// running) with a lasting line per iteration; plain lines, one per step, when stderr is not a terminal.
final class RunProgress: Sendable {
    private let board: RunBoard
    private let line: LiveLine?

    init(live: Bool, maxIterations: Int) {
        let board = RunBoard(maxIterations: maxIterations)
        self.board = board
        line = live ? LiveLine { board.summary } : nil
    }

    func handle(_ event: RunEvent) {
        switch event {
        case .started(let id, let workspace):
            board.position.withLock { $0.task = id.rawValue }
            say("running in \(workspace)", lasting: false)
        case .stage(let iteration, let stage):
            board.position.withLock {
                $0.iteration = iteration
                $0.stage = stage.rawValue
                $0.activity = nil
                $0.running = []
            }
            // In plain mode each work item gets its own line, which says "executing" already.
            if stage != .executing { say("iteration \(iteration): \(stage.rawValue)", lasting: false) }
        case .workItem(let iteration, let index, let count, let item):
            let text = "executing \(index)/\(count) [\(item.id)] \(item.title)"
            board.position.withLock {
                $0.running.append((index, count, item))
                $0.stage = $0.executing
                $0.activity = nil
            }
            say("iteration \(iteration): \(text)", lasting: false)
        case .workItemEnded(let iteration, let index, let count, let item, let status, let beside):
            board.position.withLock {
                $0.running.removeAll { $0.index == index }
                if !$0.running.isEmpty { $0.stage = $0.executing }
            }
            // One by one, the next line says the item ended; side by side, the order they end in is news.
            if beside { say("iteration \(iteration): \(status.rawValue.replacingUnderscores) \(index)/\(count) [\(item.id)]", lasting: false) }
        case .gate(let gateEvent):
            board.gates.record(gateEvent)
            if case .finished(let result) = gateEvent {
                say("gate \(result.gate): \(result.status.rawValue)\(result.cached ? " (cached)" : "")", lasting: false)
            }
        case .attemptStarted(let iteration, let candidate, let agent):
            board.position.withLock { $0.stage = "attempts side by side" }
            say("iteration \(iteration): attempt \(candidate) started (\(agent.escapedForTerminal))", lasting: false)
        case .attemptEnded(let iteration, let candidate, let agent, let verdict):
            say("iteration \(iteration): attempt \(candidate) (\(agent.escapedForTerminal)) \(verdict)", lasting: true)
        case .agentActivity(let text):
            // Live only: one line per tool call would drown the plain log's steps.
            board.position.withLock { $0.activity = TaskTitle.oneLine(text, limit: 60) }
        case .iterationEnded(let iteration, let end):
            say("iteration \(iteration): \(end.verdict)" + (end.detail.map { ": \($0.escapedForTerminal)" } ?? ""), lasting: true)
        case .warning(let text):
            let line = "warning: " + text.escapedForTerminal
            if let live = self.line { live.printAbove(line) } else { LiveLine.write(line + "\n") }
        }
    }

    func stop() { line?.stop() }

    /// Blanks the live line while the terminal is used for a question.
    func pause(_ paused: Bool) { board.position.withLock { $0.paused = paused } }

    /// Plain mode prints every step; live mode keeps only the lasting ones above the live line.
    private func say(_ text: String, lasting: Bool) {
        let id = board.position.withLock { $0.task }
        if let line {
            if lasting { line.printAbove("aee \(id): \(text)") }
        } else {
            LiveLine.write("aee \(id): \(text)\n")
        }
    }
}

/// Where a run is, for the live line.
final class RunBoard: Sendable {
    struct Position {
        var task = ""
        var iteration = 0
        var stage = "starting"
        /// What the agent is doing now, when its CLI says.
        var activity: String?
        var paused = false
        let started = Subprocess.now()
        /// The work items under way: one, or several side by side.
        var running: [(index: Int, count: Int, item: WorkItem)] = []

        /// `executing 2/3 [b] Title`, or with several under way `executing 1/3 [a], 2/3 [b]`.
        var executing: String {
            guard running.count > 1 else { return running.first.map { "executing \($0.index)/\($0.count) [\($0.item.id)] \($0.item.title)" } ?? stage }
            return "executing " + running.map { "\($0.index)/\($0.count) [\($0.item.id)]" }.joined(separator: ", ")
        }
    }

    let position = Mutex(Position())
    let gates = GateBoard()
    let maxIterations: Int

    init(maxIterations: Int) { self.maxIterations = maxIterations }

    /// `abc12345 · iteration 2/20 · executing 1/3 [fix] Fix it · Edit calc.sh · 0:42 · running tests 3s`
    var summary: String? {
        let now = position.withLock { $0 }
        if now.paused { return nil }
        let seconds = Int(Subprocess.now() - now.started)
        var parts = [now.task]
        if now.iteration > 0 { parts.append("iteration \(now.iteration)/\(maxIterations)") }
        parts += [now.stage] + (now.activity.map { [$0.escapedForTerminal] } ?? []) + ["\(seconds / 60):\(String(seconds % 60).paddedTo2)"]
        if let running = gates.summary { parts.append(running) }
        return parts.joined(separator: " · ")
    }
}

extension String {
    var paddedTo2: String { count < 2 ? "0" + self : self }

    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
