import AEECore

/// `git aee resume <id>`: continues a RUNNING task whose process died, from its last commit.
enum ResumeCommand: Command {
    static let spec = CommandSpec(
        name: "resume",
        summary: "continue a task whose run died (kill -9, power loss) from its last step",
        synopsis: "<id> [--force] [--if-abandoned] [--agent <name|cmd>] [--model <model>] [--timeout <s>] [--jobs <n>] [--fail-fast <how>] [--attempts <n> | --agents <a,b,...>] [--here] [--merge] [--remote <name>] [--json] [--trust]",
        options: RunCommand.runOptions + [
            OptionSpec(long: "force", help: "take over a task whose owner is on another host without waiting for its lease"),
            OptionSpec(long: "if-abandoned", help: "resume only a task whose owner is gone, otherwise exit 5 quietly; stop when the caller dies (for workers)"),
        ],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let task = try RunCommand.task(arguments, context)
        let id = task.id
        let quiet = arguments.flag("if-abandoned")
        if quiet { ProcessGroups.shared.dieWithParent() }
        do {
            return try RunCommand.execute(RunCommand.checkedRunner(arguments, context, task: task, toRun: false), id, arguments, context) {
                try $0.resume(id, force: arguments.flag("force"))
            }
        } catch RunError.alreadyRunning where quiet {
            return RunCommand.Status.notQueued
        } catch RunError.notRunning where quiet {
            return RunCommand.Status.notQueued
        } catch RunError.ownerUnknown where quiet {
            return RunCommand.Status.notQueued
        }
    }
}
