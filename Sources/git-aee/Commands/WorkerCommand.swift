import AEECore
#if canImport(Glibc)
import Glibc
#endif

/// `git aee worker`: runs queued tasks as they appear, each with `git aee run` in a process of its own.
enum WorkerCommand: Command {
    static let spec = CommandSpec(
        name: "worker",
        summary: "run queued tasks as they are queued, oldest first",
        synopsis: "[--jobs <n>] [--once] [--idle-exit <seconds>] [--remote <name> [--poll <seconds>]] [--agent <name|cmd>] [--model <model>] [--trust]",
        options: [
            OptionSpec(long: "jobs", value: "n", help: "run up to n tasks at once (default 1)"),
            OptionSpec(long: "once", help: "run what is queued now, then exit"),
            OptionSpec(long: "idle-exit", value: "seconds", help: "exit after this long with nothing queued or running"),
            OptionSpec(long: "remote", value: "name", help: "share the queue with workers on other clones through this remote"),
            OptionSpec(long: "poll", value: "seconds", help: "with --remote: fetch the task branches this often (default 2)"),
            RunCommand.agentOption,
            RunCommand.modelOption,
            RunCommand.trustOption,
        ])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let jobs = try arguments.int("jobs") ?? 1
        guard (1...256).contains(jobs) else { throw UsageError.badValue(option: "jobs", value: String(jobs), expected: "a number from 1 to 256") }
        let idle = try arguments.int("idle-exit")
        if let idle, idle < 0 { throw UsageError.badValue(option: "idle-exit", value: String(idle), expected: "a number of seconds, 0 or more") }
        let workspace = try context.workspace()
        let directory = try workspace.workingDirectory(for: "worker")
        let program = selfPath()
        let agent = arguments.value("agent")
        let model = arguments.value("model")
        let remote = arguments.value("remote")
        let poll = try arguments.int("poll") ?? 2
        guard (1...3600).contains(poll) else { throw UsageError.badValue(option: "poll", value: String(poll), expected: "a number of seconds from 1 to 3600") }
        if arguments.flag("poll") && remote == nil { throw UsageError.requires(option: "poll", other: "remote") }
        let palette = try context.palette()
        // The runs record their own interruption; the worker asks them to stop and waits for them.
        ProcessGroups.shared.interceptInterrupts()
        let worker = Worker(
            workspace: workspace,
            options: WorkerOptions(jobs: jobs, once: arguments.flag("once"), idleExitSeconds: idle.map(Double.init), remote: remote, pollSeconds: Double(poll), agent: agent),
            launch: { id, resume in
                // The queue judged the owner gone (its process, or its lease on another host): take it over.
                let how = resume ? ["resume", id.rawValue, "--if-abandoned", "--force"] : ["run", id.rawValue, "--if-queued"]
                let options = (agent.map { ["--agent", $0] } ?? []) + (model.map { ["--model", $0] } ?? []) + (remote.map { ["--remote", $0] } ?? []) + (context.trustsAllCommands ? ["--trust"] : [])
                var command = Subprocess(arguments: [program] + how + options, directory: directory, environment: context.environment, timeoutSeconds: .infinity)
                // Its progress lines go straight to the worker's stderr; its summary is replaced by the worker's own.
                command.capturesStandardError = false
                // Asked to stop, a run gives its agent and gates their own grace, then records how it stopped.
                command.graceSeconds = 120
                command.relaysInterrupts = true
                return command
            },
            events: { event in
                switch event {
                case .finished(let id, let record, let exitCode):
                    if exitCode == RunCommand.Status.notQueued {
                        break
                    } else if let record, record.state.isFinal || record.state == .blocked, exitCode != 128, exitCode != 129 {
                        // (128 and 129: the run failed before it ran anything; its `fatal:` line said why, and the record is someone else's.)
                        context.terminal.print(RunCommand.summary(of: record, reason: nil, palette: palette))
                        context.terminal.flush()
                    } else {
                        context.terminal.warning("task \(id): its run ended \(exitCode.map { "with status \($0)" } ?? "by a signal") and left it \(record?.state.rawValue ?? "unreadable")")
                    }
                case .pruned(let entries):
                    for entry in entries { if let line = PruneCommand.line(for: entry, dryRun: false) { context.terminal.print(line) } }
                case .problem(let text):
                    context.terminal.warning(text)
                }
            })
        try worker.run()
        if let signal = ProcessGroups.shared.interruption { return 128 + signal }
        return 0
    }

    /// This program's own path, to start `git aee run` with the same binary.
    private static func selfPath() -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let count = buffer.withUnsafeMutableBytes { readlink("/proc/self/exe", $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : CommandLine.arguments[0]
    }
}
