import Git

/// Git configuration as git itself would see it: `git -c` first, then the repository's, the user's and the system's files.
public struct Settings {
    let commandLine: CommandLineConfig
    let files: Config

    init(commandLine: CommandLineConfig, files: Config) {
        self.commandLine = commandLine
        self.files = files
    }

    public func string(_ key: String) throws -> String? {
        if let value = commandLine.value(key) { return value ?? "true" }
        return try doing("read the setting \(key)") { try files.string(key) }
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Config.parseInt(text), let int = Int(exactly: value), range.contains(int) else {
            throw ConfigError.invalidSetting(key: key, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }

    /// The names of the keys set in the files that match a regular expression.
    func names(matching regex: String) throws -> [String] {
        try doing("read the git config") { try files.names(matching: regex) }
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let text = try string(key) else { return nil }
        guard let value = Config.parseBool(text) else { throw ConfigError.invalidSetting(key: key, value: text, expected: "true or false") }
        return value
    }
}
