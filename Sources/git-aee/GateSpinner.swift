import AEECore
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One line on stderr, redrawn ten times a second, naming the gates running and for how long.
final class GateSpinner: Sendable {
    private let running = Mutex<[(name: String, since: Double)]>([])
    private let frame = Mutex(0)
    /// Dispatch sources are thread-safe; Dispatch just does not say so to the compiler.
    nonisolated(unsafe) private let timer: DispatchSourceTimer
    private static let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    init() {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "git-aee.spinner"))
        timer.schedule(deadline: .now(), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
    }

    func record(_ event: GateEvent) {
        running.withLock { gates in
            switch event {
            case .started(let name): gates.append((name, Subprocess.now()))
            case .finished(let result): gates.removeAll { $0.name == result.gate }
            }
        }
    }

    /// Stops redrawing and clears the line; safe to call twice.
    func stop() {
        timer.cancel()
        Self.write("\r\u{1B}[K")
    }

    private func draw() {
        let gates = running.withLock { $0 }
        let index = frame.withLock { value in
            value += 1
            return value
        }
        guard !gates.isEmpty else { return Self.write("\r\u{1B}[K") }
        let now = Subprocess.now()
        let names = gates.map { "\($0.name) \(Int(now - $0.since))s" }.joined(separator: ", ")
        Self.write("\r\u{1B}[K\(Self.frames[index % Self.frames.count]) running \(names)")
    }

    private static func write(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
