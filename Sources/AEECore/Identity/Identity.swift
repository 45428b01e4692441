import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who writes the commits: the user's git identity, honouring `GIT_AUTHOR_*` and `GIT_COMMITTER_*` as git does.
public struct Identity: Sendable {
    public let author: Signature
    public let committer: Signature
    /// True when no name or email was configured and a stand-in was used.
    public let isFallback: Bool

    public static let fallbackName = "git aee"
    public static let fallbackEmail = "aee@localhost"
    public static let fallbackHint = "no git identity is configured, so this was recorded as \"\(fallbackName) <\(fallbackEmail)>\"; set yours with: git config --global user.name \"Your Name\"; git config --global user.email you@example.com"

    /// `Name <email>`, as it appears in records.
    public var actor: String { "\(author.name) <\(author.email)>" }

    /// The committer's time, which is also the time written into the records.
    public var timestamp: Timestamp { Timestamp(seconds: committer.time) }

    static func resolve(settings: Settings, environment: [String: String], now: Int64 = Timestamp.now.seconds) throws -> Identity {
        let configuredName = try settings.string("user.name")
        let configuredEmail = try settings.string("user.email") ?? environment["EMAIL"]
        var isFallback = false
        func person(_ role: String) throws -> Signature {
            let name = environment["GIT_\(role)_NAME"] ?? configuredName
            let email = environment["GIT_\(role)_EMAIL"] ?? configuredEmail
            if name == nil || email == nil { isFallback = true }
            let dateVariable = "GIT_\(role)_DATE"
            var date: (seconds: Int64, offsetMinutes: Int32) = (now, 0)
            if let text = environment[dateVariable] {
                guard let parsed = GitDate.parse(text) else { throw ConfigError.invalidDate(variable: dateVariable, value: text) }
                date = parsed
            }
            return Signature(name: clean(name ?? fallbackName), email: clean(email ?? fallbackEmail), time: date.seconds, offsetMinutes: date.offsetMinutes)
        }
        let author = try person("AUTHOR")
        let committer = try person("COMMITTER")
        return Identity(author: author, committer: committer, isFallback: isFallback)
    }

    /// git strips `<`, `>` and line breaks from identities; a name with them would corrupt the commit header.
    static func clean(_ text: String) -> String {
        let kept = text.unicodeScalars.filter { !["<", ">", "\n", "\r", "\0"].contains($0) }
        return String(String.UnicodeScalarView(kept)).trimmingWhitespace
    }
}
