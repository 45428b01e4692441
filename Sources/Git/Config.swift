import CLibGit2

/// Git configuration: a read-only snapshot of every level, or the repository's own file to change.
public final class Config {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_config_free(pointer) }

    /// The last value of `key`, or nil when it is not set. A key written with no `=` (`[core] autocrlf`) is true to
    /// git, and reads as `true` here, where libgit2 would give an empty string.
    public func string(_ key: String) throws -> String? {
        try entry(key) { Self.value(of: $0) }
    }

    /// Whether the value of `key` in force comes from a file shared beyond this repository (the user's global or
    /// XDG file, or the system's); nil when it is not set.
    public func isShared(_ key: String) throws -> Bool? {
        try entry(key) { [GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL].contains($0.level) }
    }

    /// What `body` reads of the entry in force for `key`; nil when it is not set.
    private func entry<T>(_ key: String, _ body: (git_config_entry) -> T) throws -> T? {
        var entry: UnsafeMutablePointer<git_config_entry>?
        let result = git_config_get_entry(&entry, pointer, key)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_config_get_entry")
        defer { git_config_entry_free(entry) }
        return body(entry!.pointee)
    }

    /// An entry's value, `true` for a key written with no `=`.
    static func value(of entry: git_config_entry) -> String {
        entry.value.map { String(cString: $0) } ?? "true"
    }

    /// Parses a value the way git reads a boolean (`true`, `yes`, `on`, `1`, ...), or nil when it is not one.
    public static func parseBool(_ value: String) -> Bool? {
        _ = LibGit2.ready
        var parsed: Int32 = 0
        return git_config_parse_bool(&parsed, value) == 0 ? parsed != 0 : nil
    }

    /// Parses a value the way git reads an integer (with `k`, `m`, `g` suffixes), or nil when it is not one.
    public static func parseInt(_ value: String) -> Int64? {
        _ = LibGit2.ready
        var parsed: Int64 = 0
        return git_config_parse_int64(&parsed, value) == 0 ? parsed : nil
    }
}

extension Config {
    /// The names of all set keys matching a regular expression (libgit2 normalises section and name to lowercase).
    public func names(matching regex: String) throws -> [String] {
        try entries(matching: regex).map(\.key)
    }

    /// Every entry whose name matches a regular expression, in the order git lists them (lowest level first).
    public func entries(matching regex: String) throws -> [(key: String, value: String)] {
        var iterator: OpaquePointer?
        try check(git_config_iterator_glob_new(&iterator, pointer, regex), "git_config_iterator_glob_new")
        return drain(iterator)
    }

    /// Every value of a multi-valued key, in the order git lists them (lowest level first).
    public func values(of key: String) throws -> [String] {
        var iterator: OpaquePointer?
        let result = git_config_multivar_iterator_new(&iterator, pointer, key, nil)
        if result == GIT_ENOTFOUND.rawValue { return [] }
        try check(result, "git_config_multivar_iterator_new")
        return drain(iterator).map(\.value)
    }

    /// Every entry `iterator` gives; frees it.
    private func drain(_ iterator: OpaquePointer?) -> [(key: String, value: String)] {
        defer { git_config_iterator_free(iterator) }
        var found: [(key: String, value: String)] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, iterator) == 0, let entry {
            found.append((String(cString: entry.pointee.name), Self.value(of: entry.pointee)))
        }
        return found
    }

    /// Adds `value` to a multi-valued key unless an equal value is there; written under git's lock file.
    public func add(_ key: String, value: String) throws {
        // Replacing the values equal to `value` adds it when there is none.
        try check(git_config_set_multivar(pointer, key, "^" + Self.escapedForRegex(value) + "$", Self.escapedForFile(value)), "git_config_set_multivar")
    }

    /// `value` as a config file must hold it for git to read it back: libgit2 1.5 writes a value as given, in quotes
    /// when it has `;` or `#`, and escapes nothing, so a `"` in it would end the quotes and a `\` start an escape.
    static func escapedForFile(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            default: out.append(character)
            }
        }
        return out
    }

    /// Removes every value of `key`; returns how many there were.
    @discardableResult
    public func removeAll(_ key: String) throws -> Int {
        let count = try values(of: key).count
        guard count > 0 else { return 0 }
        try check(git_config_delete_multivar(pointer, key, ".*"), "git_config_delete_multivar")
        return count
    }

    static func escapedForRegex(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
