/// `git aee init`: writes a starter `.aee/config.json`.
enum InitCommand: Command {
    static let spec = CommandSpec(
        name: "init",
        summary: "write a starter .aee/config.json",
        synopsis: "[--force]",
        options: [OptionSpec(long: "force", short: "f", help: "overwrite an existing .aee/config.json")])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let (file, marker) = try context.workspace().writeStarterConfig(force: arguments.flag("force"))
        context.terminal.print("Wrote \(file)" + (marker.map { " (gate commands guessed from \($0))" } ?? ""))
        if marker == nil {
            context.terminal.hint("no build or test files were recognised: set the 'smoke' and 'tests' gate commands in \(file)")
        }
        context.terminal.hint("set the agent with 'git config aee.agent NAME' (claude-code, codex, aider, mini-swe-agent, or a command) or in \(file), then commit the file")
        return 0
    }
}
