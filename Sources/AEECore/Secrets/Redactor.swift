/// Takes secrets out of text before it is committed: agent, gate and hook output, and whatever an agent reports
/// ends up in history, which is pushed and kept for good. Two kinds are found: the values of this process's
/// environment variables whose names say they hold a secret (`*_KEY`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, ...), and
/// the shapes of well-known credentials (Anthropic, OpenAI, GitHub, AWS, Slack, Google keys; PEM private keys).
struct Redactor: Sendable {
    /// Secret values from the environment, longest first, so one that contains another is replaced whole.
    let values: [String]

    /// Values shorter than this are not taken for secrets: `1`, `true` or a path would blank out unrelated text.
    static let shortestValue = 8

    init(environment: [String: String]) {
        values = environment.filter { Self.namesSecret($0.key) && $0.value.count >= Self.shortestValue }
            .map(\.value).sorted { $0.count > $1.count }
    }

    static func namesSecret(_ name: String) -> Bool {
        let upper = name.uppercased()
        return upper.hasSuffix("_KEY") || upper == "KEY" || ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY"].contains { upper.contains($0) }
    }

    /// The credential shapes, each with the name the replacement gives it and the plain strings (lowercase) one of
    /// which any match contains, whatever its case: a search for those is cheap, a regex over every output tail is
    /// not. Anthropic's come before OpenAI's, whose `sk-` prefix they share.
    nonisolated(unsafe) static let shapes: [(name: String, contains: [String], pattern: Regex<Substring>)] = [
        // To its end line, or (a cut tail) to the end of the text or of the JSON string holding it.
        ("private key", ["private key-----"], #/-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[^"\\]|\\.)*?(?:-----END[A-Z ]*PRIVATE KEY-----|(?="|\z))/#),
        // Starting a word: `desk-navigation-container` and `task-management-service` are not keys.
        ("anthropic key", ["sk-ant-"], #/\bsk-ant-[A-Za-z0-9_\-]{20,}/#),
        ("openai key", ["sk-"], #/\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}/#),
        ("github token", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"], #/(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/#),
        ("aws key", ["akia", "asia"], #/(?:AKIA|ASIA)[0-9A-Z]{16}/#),
        ("aws secret", ["aws_secret_access_key"], #/(?i:aws_secret_access_key)["']?\s*[:=]\s*["']?[A-Za-z0-9\/+=]{40}/#),
        ("slack token", ["xox"], #/xox[abposr]-[A-Za-z0-9\-]{10,}/#),
        ("slack webhook", ["hooks.slack.com"], #/https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9\/]+/#),
        ("google key", ["aiza"], #/AIza[0-9A-Za-z_\-]{35}/#),
    ]

    /// `text` with every secret replaced by `[redacted: <kind>]`.
    func redact(_ text: String) -> String {
        var text = text
        for value in values where text.contains(value) {
            text = text.replacing(value, with: "[redacted: environment]")
        }
        for shape in Self.shapes(possiblyIn: text) {
            text = text.replacing(shape.pattern, with: "[redacted: \(shape.name)]")
        }
        return text
    }

    /// The shapes whose plain strings `text` contains: only those can match.
    private static func shapes(possiblyIn text: String) -> [(name: String, contains: [String], pattern: Regex<Substring>)] {
        let lowercased = text.lowercased()
        return shapes.filter { $0.contains.contains(where: { lowercased.contains($0) }) }
    }

    /// The kind of the first secret in `text` (`environment`, `aws key`, ...), or nil when there is none.
    func firstSecret(in text: String) -> String? {
        if values.contains(where: text.contains) { return "environment" }
        return Self.shapes(possiblyIn: text).first { text.contains($0.pattern) }?.name
    }

    /// Canonical JSON with its strings redacted: the replacements contain nothing JSON escapes, so the bytes stay
    /// valid JSON. A private key in JSON has its line breaks as `\n`, which the key's pattern crosses.
    func redact(json bytes: [UInt8]) -> [UInt8] {
        Array(redact(String(decoding: bytes, as: UTF8.self)).utf8)
    }
}
