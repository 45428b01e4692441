import AEECore
import Synchronization

/// The gates running and for how long, as a live line on stderr.
final class GateSpinner: Sendable {
    private let board = GateBoard()
    private let line: LiveLine

    init() {
        line = LiveLine { [board] in board.summary }
    }

    func record(_ event: GateEvent) { board.record(event) }

    func stop() { line.stop() }
}

/// Which gates are running, since when.
final class GateBoard: Sendable {
    private let running = Mutex<[(name: String, since: Double)]>([])

    func record(_ event: GateEvent) {
        running.withLock { gates in
            switch event {
            case .started(let name): gates.append((name, Subprocess.now()))
            case .finished(let result): gates.removeAll { $0.name == result.gate }
            }
        }
    }

    /// `running tests 3s, lint 1s`, or nil when no gate runs.
    var summary: String? {
        let gates = running.withLock { $0 }
        guard !gates.isEmpty else { return nil }
        let now = Subprocess.now()
        return "running " + gates.map { "\($0.name) \(Int(now - $0.since))s" }.joined(separator: ", ")
    }
}
