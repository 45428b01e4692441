import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One line on stderr, redrawn ten times a second from `render`, for live progress on a terminal.
final class LiveLine: Sendable {
    /// Dispatch sources are thread-safe; Dispatch just does not say so to the compiler.
    nonisolated(unsafe) private let timer: DispatchSourceTimer
    /// Frames drawn so far, and whether the line is blank now (so a blank line is cleared once, not over a prompt).
    private let frame = Mutex((count: 0, blank: false))
    private static let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    /// `render` returns the text after the spinner, or nil for a blank line (left alone after it is cleared).
    init(render: @escaping @Sendable () -> String?) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "git-aee.live-line"))
        timer.schedule(deadline: .now(), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.draw(render()) }
        timer.resume()
    }

    private func draw(_ text: String?) {
        let (index, wasBlank) = frame.withLock { state in
            defer { state = (state.count + 1, text == nil) }
            return state
        }
        guard let text else {
            if !wasBlank { Self.write("\r\u{1B}[K") }
            return
        }
        Self.write("\r\u{1B}[K\(Self.frames[index % Self.frames.count]) \(text)")
    }

    /// Stops redrawing and clears the line; safe to call twice.
    func stop() {
        timer.cancel()
        Self.write("\r\u{1B}[K")
    }

    /// Prints a lasting line above the live one.
    func printAbove(_ text: String) {
        Self.write("\r\u{1B}[K\(text)\n")
    }

    static func write(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
