import CLibGit2

/// A read-only snapshot of git configuration.
public final class Config {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_config_free(pointer) }

    /// The last value of `key`, or nil when it is not set.
    public func string(_ key: String) throws -> String? {
        var value: UnsafePointer<CChar>?
        let result = git_config_get_string(&value, pointer, key)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_config_get_string")
        return value.map { String(cString: $0) }
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
        var iterator: OpaquePointer?
        try check(git_config_iterator_glob_new(&iterator, pointer, regex), "git_config_iterator_glob_new")
        defer { git_config_iterator_free(iterator) }
        var names: [String] = []
        var entry: UnsafeMutablePointer<git_config_entry>?
        while git_config_next(&entry, iterator) == 0, let entry {
            names.append(String(cString: entry.pointee.name))
        }
        return names
    }
}
