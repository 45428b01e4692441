/// The `git -c key=value` settings, which git hands a subcommand only through its environment and libgit2 never reads.
public struct CommandLineConfig: Equatable, Sendable {
    /// Keys in canonical form (section and name lowercased), in the order git applies them; the last one wins.
    public private(set) var entries: [(key: String, value: String?)] = []

    public init(environment: [String: String]) {
        // git reads GIT_CONFIG_COUNT's pairs first, then GIT_CONFIG_PARAMETERS, so the latter win.
        if let count = environment["GIT_CONFIG_COUNT"].flatMap(Int.init), count > 0 {
            for index in 0..<count {
                // git refuses a count with a key missing; stopping there also keeps a bogus count from looping for ages.
                guard let key = environment["GIT_CONFIG_KEY_\(index)"] else { break }
                append(key, environment["GIT_CONFIG_VALUE_\(index)"] ?? "")
            }
        }
        if let parameters = environment["GIT_CONFIG_PARAMETERS"] {
            for (key, value) in Self.parse(parameters) { append(key, value) }
        }
    }

    public static func == (lhs: CommandLineConfig, rhs: CommandLineConfig) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    /// The last value given for `key`; `.some(nil)` for a bare `-c key`, which git reads as true.
    public func value(_ key: String) -> String?? {
        let canonical = Self.canonical(key)
        return entries.last(where: { $0.key == canonical }).map { $0.value }
    }

    /// Entries whose canonical key starts with `prefix` (already canonical).
    public func entries(withPrefix prefix: String) -> [(key: String, value: String?)] {
        entries.filter { $0.key.hasPrefix(prefix) }
    }

    private mutating func append(_ key: String, _ value: String?) {
        entries.append((Self.canonical(key), value))
    }

    /// `Section.Sub.Name` -> `section.Sub.name`: git compares sections and names without case, subsections with it.
    static func canonical(_ key: String) -> String {
        guard let first = key.firstIndex(of: "."), let last = key.lastIndex(of: ".") else { return key.lowercased() }
        let section = key[..<first].lowercased()
        let name = key[key.index(after: last)...].lowercased()
        if first == last { return "\(section).\(name)" }
        return "\(section).\(key[key.index(after: first)..<last]).\(name)"
    }

    /// Parses git's sq-quoted list: `'a.b'='v' 'c.d'` (since git 2.31) or `'a.b=v'` (older).
    static func parse(_ text: String) -> [(String, String?)] {
        var result: [(String, String?)] = []
        var scalars = Substring(text).unicodeScalars[...]
        func skipSpaces() { while scalars.first == " " { scalars.removeFirst() } }
        // One sq-quoted word: 'it'\''s' -> it's
        func quoted() -> String? {
            guard scalars.first == "'" else { return nil }
            var word = String.UnicodeScalarView()
            scalars.removeFirst()
            while let scalar = scalars.first {
                scalars.removeFirst()
                if scalar == "'" {
                    guard scalars.first == "\\" else { return String(word) }
                    scalars.removeFirst()
                    if let escaped = scalars.first { word.append(escaped); scalars.removeFirst() }
                    if scalars.first == "'" { scalars.removeFirst() }
                } else {
                    word.append(scalar)
                }
            }
            return String(word)
        }
        while true {
            skipSpaces()
            guard let word = quoted() else { break }
            if scalars.first == "=" {
                scalars.removeFirst()
                result.append((word, quoted() ?? ""))
            } else if let equals = word.firstIndex(of: "=") {
                result.append((String(word[..<equals]), String(word[word.index(after: equals)...])))
            } else {
                result.append((word, nil))
            }
        }
        return result
    }
}
