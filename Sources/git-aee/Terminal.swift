import AEECore
#if canImport(Glibc)
import Glibc
#endif

/// Where the CLI writes: stdout buffered and written once, stderr in git's voice (`fatal:`, `error:`, `warning:`, `hint:`).
final class Terminal {
    private var buffer: [UInt8] = []
    let environment: [String: String]

    init(environment: [String: String]) {
        self.environment = environment
    }

    func print(_ text: String = "", terminator: String = "\n") {
        buffer.append(contentsOf: text.utf8)
        buffer.append(contentsOf: terminator.utf8)
    }

    func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                break
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func fatal(_ message: String) { say("fatal", message) }
    func error(_ message: String) { say("error", message) }
    func warning(_ message: String) { say("warning", message) }
    func hint(_ message: String) { say("hint", message) }

    /// Writes straight to stderr, after what stdout holds so far, so the two stay in order on a shared terminal.
    func stderr(_ text: String) {
        flush()
        var bytes = Array(text.utf8)
        if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    private func say(_ prefix: String, _ message: String) {
        stderr(message.split(separator: "\n", omittingEmptySubsequences: false).map { "\(prefix): \($0)" }.joined(separator: "\n"))
    }

    /// Whether a person is watching: stdout and stderr are terminals and TERM is not dumb (live displays only then).
    var isInteractive: Bool {
        isatty(STDOUT_FILENO) == 1 && isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
    }

    /// Colour on stdout: never with NO_COLOR or TERM=dumb, always when configured so, else only on a terminal.
    func colors(preference: Bool?) -> Palette {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return Palette(enabled: false) }
        if let preference { return Palette(enabled: preference) }
        return Palette(enabled: isatty(STDOUT_FILENO) == 1 && environment["TERM"] != "dumb")
    }
}

/// ANSI colours, or nothing when colour is off.
struct Palette {
    let enabled: Bool

    func paint(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[m" : text
    }

    func state(_ state: TaskState, padded width: Int = 0) -> String {
        let text = state.rawValue.padded(to: width)
        switch state {
        case .succeeded: return paint(text, "32")
        case .failed, .blocked: return paint(text, "31")
        case .running, .queued: return paint(text, "33")
        case .canceled: return paint(text, "2")
        case .draft, .approved: return paint(text, "36")
        }
    }

    func dim(_ text: String) -> String { paint(text, "2") }
}

extension String {
    /// Spaces appended up to `width` characters, for a column.
    func padded(to width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
