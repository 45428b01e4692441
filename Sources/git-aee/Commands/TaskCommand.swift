import AEECore

/// `git aee task <title>`: creates a task and runs it in the foreground; `--draft` only records it, `--queue` leaves
/// it for a worker.
enum TaskCommand: Command {
    static let spec = CommandSpec(
        name: "task",
        summary: "create a task and run it until the gates pass or a limit stops it",
        synopsis: "<title> [--draft | --queue [--push <remote>]] [--agent <name|cmd>] [--model <model>] [--gate <name>]... [--max-iterations <n>] [--mode <mode>] [--retry <how>] [--max-cost <usd>] [--timeout <s>] [--jobs <n>] [--fail-fast <how>] [--attempts <n> | --agents <a,b,...>] [--here] [--merge] [--remote <name>] [--json] [--trust]",
        options: [
            OptionSpec(long: "draft", help: "record the task as DRAFT without running it"),
            OptionSpec(long: "queue", help: "record the task as QUEUED and return at once; 'git aee worker' runs it"),
            OptionSpec(long: "push", value: "remote", help: "with --queue: push the queued task to this remote, for the workers there"),
            OptionSpec(long: "gate", value: "name", help: "a gate that judges the task (repeatable; default: the config's default_gates)"),
            OptionSpec(long: "max-iterations", value: "n", help: "give up after n iterations (default: aee.maxIterations, the config, else 20)"),
            OptionSpec(long: "mode", value: "mode", help: "autonomous or interactive (default: aee.runMode, the config, else autonomous)"),
            OptionSpec(long: "retry", value: "how", help: "after a failed iteration: continue from it (default) or start fresh from the base"),
            OptionSpec(long: "max-cost", value: "usd", help: "stop once the agents report spending more than this many US dollars"),
        ] + RunCommand.runOptions,
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        // The title first: what was typed is wrong before anything about the repository or the agent is.
        let title: String
        do {
            title = try TaskTitle.validated(arguments.positionals[0])
        } catch let error as TaskError {
            throw UsageError.badArgument("\(error)")
        }
        let workspace = try context.workspace()
        _ = try workspace.workingDirectory(for: "task")
        // The task runs with the config of the commit it starts from, as the pre-push hook judges each commit with its own.
        if try workspace.useConfigOfHead() {
            context.terminal.hint("your uncommitted .aee/config.json is not used: the task runs with HEAD's; commit it first to use it")
        }
        let metadata = try workspace.taskMetadata(TaskOptions(
            gates: arguments.all("gate"),
            maxIterations: try arguments.int("max-iterations", in: ProjectConfig.maxIterationsRange),
            runMode: try arguments.choice("mode", RunMode.self),
            retry: try arguments.choice("retry", RetryStrategy.self) ?? .continue,
            maxCostUSD: try arguments.amount("max-cost")))
        if arguments.flag("push") && !arguments.flag("queue") { throw UsageError.requires(option: "push", other: "queue") }
        if arguments.flag("draft") || arguments.flag("queue") {
            if arguments.flag("draft") && arguments.flag("queue") {
                throw UsageError.conflict(option: "queue", with: "draft", reason: "a task is either a draft or queued")
            }
            for option in ["agent", "model", "timeout", "jobs", "fail-fast", "attempts", "agents", "here", "merge", "remote"] where arguments.flag(option) {
                throw UsageError.conflict(option: arguments.flag("draft") ? "draft" : "queue", with: option,
                                          reason: "the task runs later, with the settings of whoever runs it")
            }
            let (record, identity) = arguments.flag("draft") ? try workspace.createTask(title: title, metadata: metadata)
                                                             : try workspace.queueTask(title: title, metadata: metadata, push: arguments.value("push"))
            if identity.isFallback { context.terminal.hint(Identity.fallbackHint) }
            if arguments.flag("json") {
                try context.printJSON(record)
            } else {
                context.terminal.print(record.id.rawValue)
            }
            return 0
        }
        // Everything that could stop the run is checked before the task exists, so a refusal leaves nothing behind.
        let run = try RunCommand.runner(arguments, context, maxIterations: metadata.maxIterations)
        try run.runner.check(metadata)
        // A remote out of reach stops `task --remote` before the task exists (as `run --remote` fetches first).
        if let remote = arguments.value("remote") {
            context.report(try workspace.syncTasks(from: remote).map(\.divergence), remote: remote)
        }
        // Approved as it is made: its run claims it at once.
        let (record, identity) = try workspace.createTask(title: title, metadata: metadata, then: [TaskStore.Move(to: .approved)])
        if identity.isFallback { context.terminal.hint(Identity.fallbackHint) }
        // Until its run has claimed it, the task is this command's alone: a failure before that (a full disk) takes
        // it back, so that a command that failed leaves no task a worker would run later.
        do {
            if !arguments.flag("here") {
                // The task starts from HEAD: say what it leaves out, before the user waits for it.
                let local = try workspace.localChanges()
                if !local.isEmpty {
                    let them = local.count == 1 ? "it" : "them"
                    context.terminal.hint("\(local.count) local change\(local.count == 1 ? " is" : "s are") not part of the task, which starts from HEAD; commit \(them) first to include \(them)")
                }
            }
            return try RunCommand.execute(run, record.id, arguments, context) { try $0.run(record.id) }
        } catch {
            workspace.takeBackUnstarted(record.id)
            throw error
        }
    }
}
