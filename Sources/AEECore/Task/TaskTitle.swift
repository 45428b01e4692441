/// Checks a title as typed and gives its one-line form for subjects and tables.
public enum TaskTitle {
    /// The title to record, unchanged but for surrounding white space; refuses empty titles and control characters other than line breaks and tabs.
    public static func validated(_ title: String) throws -> String {
        let trimmed = title.trimmingWhitespace
        guard !trimmed.isEmpty else { throw TaskError.emptyTitle }
        if let bad = trimmed.unicodeScalars.first(where: { isForbidden($0) }) {
            throw TaskError.titleControlCharacter(bad.value)
        }
        return trimmed
    }

    /// Every run of white space (line breaks included) folded to one space, so a title can never add a line to a commit message.
    public static func oneLine(_ title: String, limit: Int = 72) -> String {
        let words = title.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        let line = words.joined(separator: " ").escapedForTerminal
        guard line.count > limit else { return line }
        return String(line.prefix(limit - 3)) + "..."
    }

    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00..<0x20, 0x7F...0x9F: true
        default: false
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
