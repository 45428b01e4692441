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
        return ([value] + endings).flatMap { form in
            // A one-element array, `["<form>"]`, less its brackets and quotes.
            [form, (try? CanonicalJSON.compact([form])).map { String(decoding: $0.dropFirst(2).dropLast(2), as: UTF8.self) } ?? form]
        }
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
        // To its end line, or (a cut tail) to the end of the text or of the JSON string holding it.
        Shape(name: "private key", markers: ["private key-----"]) { #/-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[^"\\]|\\.)*?(?:-----END[A-Z ]*PRIVATE KEY-----|(?="|\z))/# },
        // Starting a word: `desk-navigation-container` and `task-management-service` are not keys.
        Shape(name: "anthropic key", markers: ["sk-ant-"]) { #/\bsk-ant-[A-Za-z0-9_\-]{20,}/# },
        Shape(name: "openai key", markers: ["sk-"]) { #/\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}/# },
        Shape(name: "github token", markers: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]) { #/(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/# },
        Shape(name: "aws key", markers: ["akia", "asia"]) { #/(?:AKIA|ASIA)[0-9A-Z]{16}/# },
        Shape(name: "aws secret", markers: ["aws_secret_access_key"]) { #/(?i:aws_secret_access_key)["']?\s*[:=]\s*["']?[A-Za-z0-9\/+=]{40}/# },
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
        for shape in Self.shapes(possiblyIn: text) {
            text = text.replacing(shape.pattern(), with: "[redacted: \(shape.name)]")
        }
        return Self.redactingKeyEnds(text)
    }

    /// `text` without what is left of a private key whose start a cut output tail lost: its end line and the base64
    /// lines right before it (with their line breaks, or JSON's `\n`), found by walking back from the end line, so
    /// that the cost stays linear in the text (a pattern for it is tried from every position).
    static func redactingKeyEnds(_ text: String) -> String {
        var bytes = Array(text.utf8)
        let marker = Array("-----END".utf8), kind = Array("PRIVATE KEY".utf8), dashes = Array("-----".utf8)
        var from = 0
        while let found = bytes[from...].firstRange(of: marker) {
            var end = found.upperBound
            while end < bytes.count, bytes[end] == UInt8(ascii: " ") || (65...90).contains(bytes[end]) { end += 1 }
            guard bytes[found.upperBound..<end].suffix(kind.count).elementsEqual(kind), bytes[end...].starts(with: dashes) else {
                from = found.upperBound
                continue
            }
            end += dashes.count
            let start = startOfBase64Lines(before: found.lowerBound, in: bytes)
            let replacement = Array("[redacted: private key]".utf8)
            bytes.replaceSubrange(start..<end, with: replacement)
            from = start + replacement.count
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Where the base64 lines that end at `position` (right after a line break) start: each line back, whole, while it
    /// starts a line (or the text, or a JSON string).
    private static func startOfBase64Lines(before position: Int, in bytes: [UInt8]) -> Int {
        func isBase64(_ byte: UInt8) -> Bool {
            (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte) || byte == 43 || byte == 47 || byte == 61
        }
        /// The start of the line break that ends right before `index` (`\n`, `\r\n`, or JSON's escapes of them), or nil.
        func lineBreak(endingAt index: Int) -> Int? {
            if index >= 1, bytes[index - 1] == UInt8(ascii: "\n") { return index >= 2 && bytes[index - 2] == UInt8(ascii: "\r") ? index - 2 : index - 1 }
            if index >= 2, bytes[index - 2] == UInt8(ascii: "\\"), bytes[index - 1] == UInt8(ascii: "n") {
                return index >= 4 && bytes[index - 4] == UInt8(ascii: "\\") && bytes[index - 3] == UInt8(ascii: "r") ? index - 4 : index - 2
            }
            return nil
        }
        var start = position
        while let lineEnd = lineBreak(endingAt: start) {
            var lineStart = lineEnd
            while lineStart > 0, isBase64(bytes[lineStart - 1]), lineBreak(endingAt: lineStart) == nil { lineStart -= 1 }
            // A line of other words ends the key (the line before its first is not part of it).
            guard lineStart < lineEnd, lineStart == 0 || bytes[lineStart - 1] == UInt8(ascii: "\"") || lineBreak(endingAt: lineStart) != nil else { break }
            start = lineStart
        }
        return start
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
