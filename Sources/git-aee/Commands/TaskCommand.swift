import AEECore

/// `git aee task <title> --draft`: records a new task.
enum TaskCommand: Command {
    static let spec = CommandSpec(
        name: "task",
        summary: "create a task (today: as a DRAFT)",
        synopsis: "<title> --draft [--gate <name>]... [--max-iterations <n>] [--mode <mode>] [--json]",
        options: [
            OptionSpec(long: "draft", help: "record the task as DRAFT without running it"),
            OptionSpec(long: "gate", value: "name", help: "a gate that judges the task (repeatable; default: the config's default_gates)"),
            OptionSpec(long: "max-iterations", value: "n", help: "give up after n iterations (default: aee.maxIterations, the config, else 20)"),
            OptionSpec(long: "mode", value: "mode", help: "autonomous or interactive (default: aee.runMode, the config, else autonomous)"),
            OptionSpec(long: "json", help: "print the new record as JSON instead of its id"),
        ],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        guard arguments.flag("draft") else {
            // The runner is a later piece of work; until it exists, saying so beats pretending.
            context.terminal.fatal("running tasks is not built yet; add --draft to record the task as a DRAFT")
            return 128
        }
        let options = TaskOptions(
            gates: arguments.all("gate"),
            maxIterations: try arguments.int("max-iterations"),
            runMode: try arguments.choice("mode", RunMode.self))
        let (record, identity) = try context.workspace().createTask(title: arguments.positionals[0], options: options)
        if identity.isFallback { context.terminal.hint(Identity.fallbackHint) }
        if arguments.flag("json") {
            try context.printJSON(record)
        } else {
            context.terminal.print(record.id.rawValue)
        }
        return 0
    }
}
