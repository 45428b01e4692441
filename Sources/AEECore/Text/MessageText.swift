extension String {
    /// Control characters shown as escapes, so a hostile string cannot drive the terminal.
    public var escapedForTerminal: String {
        var out = ""
        for scalar in unicodeScalars {
            // Control characters, and the bidirectional controls that make a line read other than it is (Trojan Source).
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value)
                || (0x2066...0x2069).contains(scalar.value) || scalar.value == 0x200E || scalar.value == 0x200F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Something a user or a file gave, to quote in a one-line message: escaped, and cut short when long.
    public var quotedInMessage: String { excerpt(80) }

    /// Escaped for a terminal and at most `limit` characters, the cut marked with `...`.
    func excerpt(_ limit: Int) -> String {
        let escaped = escapedForTerminal
        return escaped.count > limit ? escaped.prefix(limit - 3) + "..." : escaped
    }

    /// `timed_out` as `timed out`, for statuses in sentences.
    public var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }

    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }

    public var nonEmpty: String? { isEmpty ? nil : self }
}
