import AEECore
#if canImport(Glibc)
import Glibc
#endif

/// `git aee run <id>`: runs an APPROVED, QUEUED or BLOCKED task in the foreground.
enum RunCommand: Command {
    /// The options that say how to run, shared with `task`.
    static let runOptions = [
        agentOption,
        modelOption,
        OptionSpec(long: "timeout", value: "seconds", help: "stop the run after this long (default: task_timeout_seconds in the config, else none)"),
        OptionSpec(long: "jobs", value: "n", help: "run up to n work items at once, each in a workspace of its own, where the plan says what depends on what (default: aee.jobs, else 1)"),
        OptionSpec(long: "attempts", value: "n", help: "run n attempts of each iteration side by side, each in a workspace and on a branch of its own; the first the gates pass wins, the others are stopped and kept"),
        OptionSpec(long: "agents", value: "a,b,...", help: "one attempt side by side per agent named (built-in names or commands, comma-separated), as --attempts"),
        OptionSpec(long: "fail-fast", value: "how", help: "when a work item fails, 'finish' lets the items running beside it finish (the default), 'kill' stops them"),
        OptionSpec(long: "here", help: "run in this working tree (which must be clean) instead of a workspace of the task's own"),
        OptionSpec(long: "merge", help: "when the task succeeds, fast-forward the branch it started from"),
        OptionSpec(long: "remote", value: "name", help: "push the claim and every commit of the run to this remote as they are made"),
        OptionSpec(long: "json", help: "print the final record as JSON"),
        trustOption,
    ]

    static let agentOption = OptionSpec(long: "agent", value: "name|cmd",
                                        help: "claude-code, codex, aider, mini-swe-agent, or an agent command (default: the task's last, else aee.agent, else .aee/config.json's)")
    static let modelOption = OptionSpec(long: "model", value: "model", help: "the model a built-in agent uses (default: the task's last with that agent, else aee.model, else agent.model in .aee/config.json)")

    /// For the commands that run what `.aee/config.json` names (docs/guarantees.md).
    static let trustOption = OptionSpec(long: "trust", help: "run the commands of .aee/config.json without your approval, as AEE_TRUST=1 does (for CI)")

    static let spec = CommandSpec(
        name: "run",
        summary: "run an approved, queued or blocked task",
        synopsis: "<id> [--agent <name|cmd>] [--model <model>] [--timeout <s>] [--jobs <n>] [--fail-fast <how>] [--attempts <n> | --agents <a,b,...>] [--here] [--merge] [--remote <name>] [--if-queued] [--json] [--trust]",
        options: runOptions + [
            OptionSpec(long: "if-queued", help: "run only a task that is still QUEUED, otherwise exit 5 quietly; stop when the caller dies (for workers)"),
        ],
        positionals: 1...1)

    /// Exit statuses, one per way a run ends (docs/cli.md); 0 only for SUCCEEDED.
    enum Status {
        static let failed: Int32 = 1
        static let blocked: Int32 = 2
        static let canceled: Int32 = 3
        static let mergeRefused: Int32 = 4
        /// `--if-queued` and the task was not QUEUED any more: someone else took it.
        static let notQueued: Int32 = 5
    }

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let task = try task(arguments, context)
        let id = task.id
        let ifQueued = arguments.flag("if-queued")
        if ifQueued {
            if task.record.state != .queued { return Status.notQueued }
            ProcessGroups.shared.dieWithParent()
        }
        do {
            return try execute(checkedRunner(arguments, context, task: task, toRun: true), id, arguments, context) { try $0.run(id) }
        } catch RunError.alreadyRunning where ifQueued {
            // Another worker's claim landed between the read above and ours.
            return Status.notQueued
        } catch RunError.notRunnable where ifQueued {
            // Or another clone's worker ran it already, as the fetch before the claim found.
            return Status.notQueued
        }
    }

    /// The task the first argument names, its record, and what makes its branches local once the run's checks have
    /// passed (so that a refused run leaves none behind): with `--remote` the task branches are fetched first, since
    /// the task may have been queued on another clone, and the task's own are made local. A task shared through a
    /// remote is refused without `--remote`: run here alone, it would run again in a worker there.
    static func task(_ arguments: ParsedArguments, _ context: Context) throws -> NamedTask {
        let workspace = try context.workspace()
        var makeLocal: () throws -> Void = {}
        if let remote = arguments.value("remote") {
            context.report(try workspace.syncTasks(from: remote).map(\.divergence), remote: remote)
        }
        let id = try context.task(arguments.positionals[0])
        // A task shared through a remote is claimed there, or a worker of another clone runs it too.
        let sharing = try workspace.sharingRemotes(of: id)
        if let remote = sharing.first, !sharing.contains(arguments.value("remote") ?? "") {
            throw RunError.sharedThroughRemote(id, remote: remote)
        }
        if let remote = arguments.value("remote") {
            makeLocal = { try workspace.adoptTasks(from: remote, only: id) }
        }
        return NamedTask(id: id, record: try workspace.store.record(of: id), makeLocal: makeLocal)
    }

    /// The task `run` or `resume` names, and what makes its branches local once the run's checks pass.
    struct NamedTask {
        let id: TaskID
        let record: TaskRecord
        let makeLocal: () throws -> Void
    }

    /// The runner for `task` (as `runner` makes it), once its checks pass, with the task's branches made local.
    static func checkedRunner(_ arguments: ParsedArguments, _ context: Context, task: NamedTask, toRun: Bool) throws -> (runner: TaskRunner, progress: RunProgress) {
        let run = try runner(arguments, context, task: task.record, toRun: toRun)
        try run.runner.check(task.record.metadata, for: task.id)
        try task.makeLocal()
        return run
    }

    /// A runner for the command line's options, reporting progress on stderr and asking on the terminal.
    /// For an existing `task`, the agent its last run was started with is used again unless `--agent` says otherwise,
    /// and the config is the one of the commit the task started from. A task `toRun` that cannot run is refused once
    /// the options are read and before any agent is looked for: a finished task has no use for one.
    static func runner(_ arguments: ParsedArguments, _ context: Context, maxIterations: Int? = nil, task: TaskRecord? = nil,
                       toRun: Bool = false) throws -> (runner: TaskRunner, progress: RunProgress) {
        let workspace = try context.workspace()
        let timeout = try arguments.int("timeout", in: 1...Int.max)
        let jobs = try arguments.int("jobs", in: 1...Workspace.maxJobs)
        let failFast = arguments.value("fail-fast")
        if let failFast, failFast != "finish", failFast != "kill" {
            throw UsageError.badValue(option: "fail-fast", value: failFast, expected: "finish or kill")
        }
        if toRun, let task, task.state.isFinal || task.state == .draft { throw RunError.notRunnable(task.id, task.state) }
        if let task, try workspace.useConfig(of: task), !arguments.flag("if-queued"), !arguments.flag("if-abandoned") {
            context.terminal.hint("task \(task.id) runs with the .aee/config.json of the commit it started from (\(task.baseCommit?.prefix(12) ?? "")); your working tree's differs")
        }
        var options = RunOptions(agent: arguments.value("agent"), model: arguments.value("model"), here: arguments.flag("here"), merge: arguments.flag("merge"),
                                 timeoutSeconds: timeout, remote: arguments.value("remote"),
                                 rememberedAgent: try task.flatMap { try workspace.rememberedAgent(of: $0.id) })
        options.jobs = jobs
        options.killOnFailure = failFast == "kill"
        options.attempts = try arguments.int("attempts", in: 1...Workspace.maxAttempts)
        if let agents = arguments.value("agents") {
            let names = agents.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard (1...Workspace.maxAttempts).contains(names.count), !names.contains(where: { $0.allSatisfy(\.isWhitespace) }) else {
                throw UsageError.badValue(option: "agents", value: agents, expected: "1 to \(Workspace.maxAttempts) agents, comma-separated")
            }
            if let attempts = options.attempts, attempts != names.count {
                throw UsageError.badValue(option: "attempts", value: String(attempts), expected: "the number of --agents (\(names.count)), or no --attempts")
            }
            options.attemptAgents = names
        }
        let progress = RunProgress(live: context.terminal.isInteractive, maxIterations: maxIterations ?? task?.metadata.maxIterations ?? ProjectConfig.defaultMaxIterations)
        let canAsk = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
        let runner = try TaskRunner(workspace: try context.workspace(), options: options, events: { progress.handle($0) },
                                    approve: canAsk ? { plan in ask(plan, progress) } : nil)
        return (runner, progress)
    }

    /// Runs the task (`start` runs or resumes it) and reports how it ended: the record (or a line) on stdout, the
    /// exit status by final state.
    static func execute(_ run: (runner: TaskRunner, progress: RunProgress), _ id: TaskID, _ arguments: ParsedArguments, _ context: Context,
                        start: (TaskRunner) throws -> RunResult) throws -> Int32 {
        ProcessGroups.shared.interceptInterrupts()
        let result: RunResult
        do {
            defer { run.progress.stop() }
            result = try start(run.runner)
        }
        let record = result.record
        if arguments.flag("json") {
            try context.printJSON(record)
        } else {
            context.terminal.print(summary(of: record, reason: result.reason, palette: try context.palette()))
        }
        if let kept = result.keptWorkspace, let reason = result.keptBecause {
            context.terminal.warning("the task's workspace \(kept) is kept: \(reason)")
            context.terminal.hint("push those commits from there (git -C <repository> push), or copy them where you keep them, then remove the folder")
        } else if let kept = result.keptWorkspace, record.state != .succeeded {
            context.terminal.hint("the task's files are in \(kept); 'git aee run \(id)' continues it")
        }
        if record.state != .succeeded {
            context.terminal.hint("'git aee show \(id)' tells the story; 'git log --graph aee/\(id)' shows every attempt")
        }
        if arguments.flag("here"), result.mergeError == nil, !(arguments.flag("merge") && record.state == .succeeded) {
            let back = record.baseBranch.map { "'git switch \($0.replacingPrefix("refs/heads/", with: ""))' goes back to your branch" } ?? "'git switch -' goes back"
            context.terminal.hint("HEAD is detached at the task's last commit; " + back)
        }
        if let refused = result.mergeError {
            context.terminal.error(refused.description)
            if let hint = refused.hint { context.terminal.hint(hint) }
            return Status.mergeRefused
        }
        if let tip = result.merged, let branch = record.baseBranch, !arguments.flag("json") {
            // As `git merge` says it: the user's branch moved.
            context.terminal.print("\(branch.replacingPrefix("refs/heads/", with: "")) fast-forwarded to \(tip.prefix(12))")
        }
        if result.reason == .interrupted, let signal = ProcessGroups.shared.interruption { return 128 + signal }
        switch record.state {
        case .succeeded: return 0
        case .blocked: return Status.blocked
        case .canceled: return Status.canceled
        default: return Status.failed
        }
    }

    /// `<id> <STATE> (<exit reason>) after <n> iterations: <detail>`, the line a finished run prints (`during
    /// iteration 1` for one stopped before its first iteration was over).
    static func summary(of record: TaskRecord, reason: ExitReason?, palette: Palette) -> String {
        let iterations = record.iteration == 0 ? "during iteration 1" : "after \(record.iteration) iteration\(record.iteration == 1 ? "" : "s")"
        return "\(record.id) \(palette.state(record.state)) (\((reason ?? record.exitReason)?.rawValue ?? "no exit reason")) \(iterations)"
            + (record.exitDetail.map { ": " + $0.escapedForTerminal } ?? "")
    }

    /// Shows the plan and reads a yes or no from the terminal; the live line stays blank meanwhile.
    static func ask(_ plan: String, _ progress: RunProgress) -> Bool {
        progress.pause(true)
        defer { progress.pause(false) }
        LiveLine.write("\r\u{1B}[K" + plan + "\nExecute this plan? [y/N] ")
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.lowercased().filter { !$0.isWhitespace })
    }
}
