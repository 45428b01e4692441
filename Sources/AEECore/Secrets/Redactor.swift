/// Takes secrets out of text before it is committed: agent, gate and hook output, and whatever an agent reports
/// ends up in history, which is pushed and kept for good. Two kinds are found: the values of this process's
/// environment variables whose names say they hold a secret (`*_KEY`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, ...), and
/// the shapes of well-known credentials (Anthropic, OpenAI, GitHub, AWS, Slack, Google keys; PEM private keys).
public struct Redactor: Sendable {
    /// Secret values from the environment as they are written in text, longest first, so one that contains another
    /// is replaced whole.
    let values: [String]

    /// Values shorter than this are not taken for secrets: `1`, `true` or a path would blank out unrelated text.
    static let shortestValue = 8

    init(environment: [String: String]) {
        let secrets = environment.filter { Self.namesSecret($0.key) && $0.value.count >= Self.shortestValue }.map(\.value)
        values = Set(secrets.flatMap(Self.writtenForms)).sorted { $0.count > $1.count }
    }

    /// How a secret value appears in what is committed: as it is, and inside a JSON string (where `"`, `\` and line
    /// breaks are escaped); for a value of several lines, also from each of its later lines on, since an output tail
    /// cut in the middle of it starts at a line (`OutputTail.fromLineStart`), where what is left holds something
    /// secret (a PEM key's end line alone is in every key).
    static func writtenForms(of value: String) -> [String] {
        let bytes = Array(value.utf8)
        let endings = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }.map { String(decoding: bytes[($0 + 1)...], as: UTF8.self) }
            .filter { ending in
                let secret = ending.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
                return secret.filter { !$0.isWhitespace }.count >= shortestValue
            }
        // Inside a JSON string, once or (JSON the agent printed, kept in an artifact's JSON) twice: a one-element
        // array, `["<form>"]`, less its brackets and quotes.
        func escaped(_ form: String) -> String {
            (try? CanonicalJSON.compact([form])).map { String(decoding: $0.dropFirst(2).dropLast(2), as: UTF8.self) } ?? form
        }
        return ([value] + endings).flatMap { [$0, escaped($0), escaped(escaped($0))] }
    }

    static func namesSecret(_ name: String) -> Bool {
        let upper = SearchableText(name, folding: .upper)
        return upper.bytes.elementsEqual("KEY".utf8) || upper.bytes.suffix(4).elementsEqual("_KEY".utf8)
            || ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY"].contains(where: upper.contains)
    }

    /// A credential's shape: its name in the replacement, the plain strings (lowercase) one of which any match
    /// contains whatever its case, and its pattern, made only for a text holding one of them: a search for those is
    /// cheap, and making Swift's regexes costs more than redacting most texts.
    struct Shape: Sendable {
        let name: String
        let markers: [String]
        let pattern: @Sendable () -> Regex<Substring>
    }

    /// Anthropic's come before OpenAI's, whose `sk-` prefix they share.
    static let shapes: [Shape] = [
        // Whole, within the text or the JSON string holding it (what a cut left of one: `redactingKeyEnds`).
        Shape(name: "private key", markers: ["private key-----"]) { #/-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[^"\\]|\\.)*?-----END[A-Z ]*PRIVATE KEY-----/# },
        // Starting a word: `desk-navigation-container` and `task-management-service` are not keys.
        Shape(name: "anthropic key", markers: ["sk-ant-"]) { #/\bsk-ant-[A-Za-z0-9_\-]{20,}/# },
        Shape(name: "openai key", markers: ["sk-"]) { #/\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}/# },
        Shape(name: "github token", markers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]) { #/(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/# },
        Shape(name: "aws key", markers: ["akia", "asia"]) { #/(?:AKIA|ASIA)[0-9A-Z]{16}/# },
        // In quotes as a shell's `export` or JSON writes it, which JSON holding that text escapes (`\"`, `\\\"`).
        Shape(name: "aws secret", markers: ["aws_secret_access_key"]) { #/(?i:aws_secret_access_key)(?:\\{0,3}["'])?\s*[:=]\s*(?:\\{0,3}["'])?[A-Za-z0-9\/+=]{40}/# },
        Shape(name: "slack token", markers: ["xox"]) { #/xox[abposr]-[A-Za-z0-9\-]{10,}/# },
        Shape(name: "slack webhook", markers: ["hooks.slack.com"]) { #/https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9\/]+/# },
        Shape(name: "google key", markers: ["aiza"]) { #/AIza[0-9A-Za-z_\-]{35}/# },
    ]

    /// `text` with every secret replaced by `[redacted: <kind>]`.
    func redact(_ text: String) -> String {
        var text = text
        let plain = SearchableText(text)
        for value in values where plain.contains(value) {
            text = text.replacing(value, with: "[redacted: environment]")
        }
        let shapes = Self.shapes(possiblyIn: text)
        for shape in shapes {
            text = text.replacing(shape.pattern(), with: "[redacted: \(shape.name)]")
        }
        // What a cut left of a key is looked for only where an armour line is: this runs on every record written.
        return shapes.contains { $0.name == "private key" } ? Self.redactingKeyEnds(text) : text
    }

    /// `text` without what is left of a private key that a cut output tail holds only part of: its end line and the
    /// base64 lines before it (a start cut off), or its start line and the base64 lines after it (an end cut off).
    /// The lines are found by walking from the armour line, so that the cost stays linear in the text (a pattern for
    /// them is tried from every position). A key line may carry what its armour line carries before it (an indent,
    /// a `stderr| `), and breaks as text or as JSON's `\n`.
    static func redactingKeyEnds(_ text: String) -> String {
        var bytes = Array(text.utf8)
        let replacement = Array("[redacted: private key]".utf8)
        var from = 0
        while let (armour, isEnd) = nextArmour(in: bytes, from: from) {
            // The key's lines carry what its armour line carries before it, or (after a `log: ` or so) nothing.
            let armourPrefix = Array(bytes[lineStart(before: armour.lowerBound, in: bytes)..<armour.lowerBound])
            func lines(_ prefix: [UInt8]) -> Range<Int> {
                isEnd ? keyLines(endingAt: armour.lowerBound, prefix: prefix, in: bytes)..<armour.upperBound
                      : armour.lowerBound..<keyLines(startingAt: armour.upperBound, prefix: prefix, in: bytes)
            }
            let withPrefix = lines(armourPrefix)
            let range = withPrefix != armour || armourPrefix.isEmpty ? withPrefix : lines([])
            // A start line with no key line after it (a scanner naming a fixture) hides nothing.
            guard isEnd || range.upperBound > armour.upperBound else {
                from = armour.upperBound
                continue
            }
            bytes.replaceSubrange(range, with: replacement)
            from = range.lowerBound + replacement.count
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The next `-----BEGIN ... PRIVATE KEY-----` or `-----END ... PRIVATE KEY-----` from `from`, and whether it ends a key.
    private static func nextArmour(in bytes: [UInt8], from: Int) -> (Range<Int>, isEnd: Bool)? {
        let dashes = Array("-----".utf8), kind = Array("PRIVATE KEY".utf8)
        var position = from
        while let found = bytes[position...].firstRange(of: dashes) {
            var word = found.upperBound
            while word < bytes.count, (65...90).contains(bytes[word]) { word += 1 }
            let label = bytes[found.upperBound..<word]
            var end = word
            while end < bytes.count, bytes[end] == UInt8(ascii: " ") || (65...90).contains(bytes[end]) { end += 1 }
            if label.elementsEqual("BEGIN".utf8) || label.elementsEqual("END".utf8),
               bytes[word..<end].suffix(kind.count).elementsEqual(kind), bytes[end...].starts(with: dashes) {
                return (found.lowerBound..<(end + dashes.count), label.elementsEqual("END".utf8))
            }
            position = found.upperBound
        }
        return nil
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte) || byte == 43 || byte == 47 || byte == 61
    }

    /// The length of the line break at `index` (`\n`, `\r\n`, or JSON's escapes of them), or nil.
    private static func lineBreak(at index: Int, in bytes: [UInt8]) -> Int? {
        func at(_ offset: Int, _ byte: Character) -> Bool { index + offset < bytes.count && bytes[index + offset] == byte.asciiValue! }
        if at(0, "\n") { return 1 }
        if at(0, "\r") { return at(1, "\n") ? 2 : nil }
        guard at(0, "\\") else { return nil }
        if at(1, "n") { return 2 }
        return at(1, "r") && at(2, "\\") && at(3, "n") ? 4 : nil
    }

    /// The start of the line break that ends right before `index`, or nil.
    private static func lineBreak(endingAt index: Int, in bytes: [UInt8]) -> Int? {
        for length in [4, 2, 1] where index >= length && lineBreak(at: index - length, in: bytes) == length { return index - length }
        return nil
    }

    /// Where the line holding `index` starts: after a line break, a JSON string's quote, or at the text's start.
    private static func lineStart(before index: Int, in bytes: [UInt8]) -> Int {
        var start = index
        while start > 0, bytes[start - 1] != UInt8(ascii: "\""), lineBreak(endingAt: start, in: bytes) == nil { start -= 1 }
        return start
    }

    /// Where the key lines (each `prefix` then base64) that end at the armour line at `position` start.
    private static func keyLines(endingAt position: Int, prefix: [UInt8], in bytes: [UInt8]) -> Int {
        var start = position
        while let lineEnd = lineBreak(endingAt: start - prefix.count, in: bytes) {
            var contentStart = lineEnd
            while contentStart > 0, isBase64(bytes[contentStart - 1]), lineBreak(endingAt: contentStart, in: bytes) == nil { contentStart -= 1 }
            let lineBegins = contentStart - prefix.count
            guard contentStart < lineEnd, lineBegins >= 0, bytes[lineBegins..<contentStart].elementsEqual(prefix),
                  lineStart(before: lineBegins, in: bytes) == lineBegins else { break }
            start = contentStart
        }
        return start
    }

    /// Where the key lines (each `prefix` then base64) that follow the armour line ending at `position` end.
    private static func keyLines(startingAt position: Int, prefix: [UInt8], in bytes: [UInt8]) -> Int {
        var end = position
        while end < bytes.count, let length = lineBreak(at: end, in: bytes), bytes[(end + length)...].starts(with: prefix) {
            var contentEnd = end + length + prefix.count
            while contentEnd < bytes.count, isBase64(bytes[contentEnd]), lineBreak(at: contentEnd, in: bytes) == nil { contentEnd += 1 }
            guard contentEnd > end + length + prefix.count else { break }
            end = contentEnd
        }
        return end
    }

    /// The shapes whose plain strings `text` contains: only those can match.
    private static func shapes(possiblyIn text: String) -> [Shape] {
        let lowercased = SearchableText(text, folding: .lower)
        return shapes.filter { $0.markers.contains(where: lowercased.contains) }
    }

    /// The kind of the first secret in `text` (`environment`, `aws key`, ...), or nil when there is none.
    func firstSecret(in text: String) -> String? {
        if values.contains(where: SearchableText(text).contains) { return "environment" }
        return Self.shapes(possiblyIn: text).first { text.contains($0.pattern()) }?.name
    }

    /// Canonical JSON with its strings redacted: the replacements contain nothing JSON escapes, so the bytes stay
    /// valid JSON. A private key in JSON has its line breaks as `\n`, which the key's pattern crosses.
    func redact(json bytes: [UInt8]) -> [UInt8] {
        Array(redact(String(decoding: bytes, as: UTF8.self)).utf8)
    }
}
