#if canImport(Glibc)
import Glibc
#endif

/// git's ignore rules, as `git add` applies them: `.gitignore` files (a deeper one before a shallower one, the last
/// matching line of a file winning), then `info/exclude`, then `core.excludesFile`; a path inside an excluded
/// directory is excluded whatever its own rules say. Asked only about what libgit2 1.5 reports as ignored, since it
/// drops a `!pattern` that re-includes what another file excluded (`*.cfg` at the top, `!app.cfg` in `conf/`).
struct IgnoreRules {
    /// One line of an ignore file.
    struct Pattern {
        /// The pattern's words between slashes (`**` is a word of its own).
        let segments: [String]
        let negated: Bool
        let directoryOnly: Bool
        /// A pattern with a slash before its end matches from its file's directory; one without matches a name at any depth.
        let anchored: Bool

        init?(line: Substring) {
            var text = String(line)
            while text.hasSuffix(" ") && !text.hasSuffix("\\ ") { text.removeLast() }
            guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
            negated = text.hasPrefix("!")
            if negated { text.removeFirst() }
            if text.hasPrefix("\\!") || text.hasPrefix("\\#") { text.removeFirst() }
            directoryOnly = text.hasSuffix("/")
            while text.hasSuffix("/") { text.removeLast() }
            guard !text.isEmpty else { return nil }
            anchored = text.contains("/")
            while text.hasPrefix("/") { text.removeFirst() }
            segments = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        }

        /// Whether the pattern matches `path`, relative to the directory of the file it came from.
        func matches(_ path: [Substring], isDirectory: Bool) -> Bool {
            if directoryOnly && !isDirectory { return false }
            guard anchored else { return path.last.map { Self.fnmatch(segments[0], $0) } ?? false }
            return Self.match(segments[...], path[...])
        }

        private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<Substring>) -> Bool {
            guard let first = pattern.first else { return path.isEmpty }
            if first == "**" {
                let rest = pattern.dropFirst()
                // A trailing `/**` matches everything inside, not the directory itself.
                if rest.isEmpty { return !path.isEmpty }
                return (path.startIndex...path.endIndex).contains { match(rest, path[$0...]) }
            }
            guard let name = path.first, fnmatch(first, name) else { return false }
            return match(pattern.dropFirst(), path.dropFirst())
        }

        private static func fnmatch(_ pattern: String, _ name: Substring) -> Bool {
            Glibc.fnmatch(pattern, String(name), 0) == 0
        }
    }

    let root: String
    /// `info/exclude` and `core.excludesFile`, in that order.
    let global: [[Pattern]]
    private var perDirectory: [String: [Pattern]] = [:]

    init(root: String, globalFiles: [String]) {
        self.root = root
        global = globalFiles.map(Self.patterns(in:))
    }

    private static func patterns(in file: String) -> [Pattern] {
        guard let bytes = readFile(file) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap(Pattern.init(line:))
    }

    /// Whether `git add` leaves `path` (relative to the root, without a trailing slash) out.
    mutating func isIgnored(_ path: String, isDirectory: Bool) -> Bool {
        let components = path.split(separator: "/")
        for depth in 1..<max(components.count, 1) where decide(Array(components.prefix(depth)), isDirectory: true) {
            return true
        }
        return decide(components, isDirectory: isDirectory)
    }

    /// The verdict of the rules for `path` itself: the deepest `.gitignore` with a matching line, its last one.
    private mutating func decide(_ path: [Substring], isDirectory: Bool) -> Bool {
        for depth in stride(from: path.count - 1, through: 0, by: -1) {
            let directory = path.prefix(depth).map { $0 + "/" }.joined()
            if perDirectory[directory] == nil { perDirectory[directory] = Self.patterns(in: root + directory + ".gitignore") }
            let relative = Array(path.dropFirst(depth))
            if let pattern = perDirectory[directory]!.last(where: { $0.matches(relative, isDirectory: isDirectory) }) { return !pattern.negated }
        }
        for file in global {
            if let pattern = file.last(where: { $0.matches(path, isDirectory: isDirectory) }) { return !pattern.negated }
        }
        return false
    }
}
