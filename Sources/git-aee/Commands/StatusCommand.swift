import AEECore

/// `git aee status`: what is queued, what runs (where, how far, for how long) and what finished lately.
enum StatusCommand: Command {
    static let spec = CommandSpec(
        name: "status",
        summary: "show queued, running and recently finished tasks",
        synopsis: "[--recent <n>] [--json | --watch]",
        options: [
            OptionSpec(long: "recent", value: "n", help: "how many finished tasks to show (default 5)"),
            OptionSpec(long: "watch", help: "keep showing it as tasks move: redrawn in place on a terminal, a line per change otherwise; until Ctrl-C"),
            OptionSpec(long: "json", help: "print {\"queued\": [...], \"running\": [...], \"recent\": [...]}"),
        ])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let recent = try arguments.int("recent") ?? 5
        guard recent >= 0 else { throw UsageError.badValue(option: "recent", value: String(recent), expected: "a number, 0 or more") }
        let workspace = try context.workspace()
        if arguments.flag("watch") {
            if arguments.flag("json") { throw UsageError.conflict(option: "watch", with: "json", reason: "--watch prints for a person") }
            try watch(workspace, recent: recent, context)
            return 0
        }
        let (status, problems) = try workspace.queueStatus(recent: recent)
        for problem in problems { context.terminal.warning(problem) }
        if arguments.flag("json") {
            try context.printJSON(status)
            return 0
        }
        for line in lines(of: status, palette: try context.palette()) { context.terminal.print(line) }
        for run in status.running where !run.alive {
            context.terminal.hint("the run of \(run.task.id) is gone (killed, or its machine restarted); 'git aee resume \(run.task.id)' continues it")
        }
        if status.queued.isEmpty && status.running.isEmpty && status.recent.isEmpty {
            context.terminal.hint("no tasks yet; 'git aee task \"...\" --queue' queues one")
        }
        return 0
    }

    /// A line per queued, running and recently finished task; `costs` adds what a running one's agents have
    /// reported spending so far.
    static func lines(of status: QueueStatus, palette: Palette, costs: Bool = false) -> [String] {
        let now = Timestamp.now
        func row(_ task: TaskRecord, _ what: String) -> String {
            "\(palette.state(task.state, padded: 9))  \(task.id)  \(what.padded(to: 44))  \(TaskTitle.oneLine(task.title, limit: 60))"
        }
        var lines = status.queued.map { row($0, "waiting " + duration(now.seconds - $0.updatedAt.seconds)) }
        for run in status.running {
            let elapsed = run.startedAt.map { " " + duration(now.seconds - $0.seconds) } ?? ""
            let owner = "pid \(run.pid.map(String.init) ?? "?")" + (run.host == RunOwner.thisHost ? "" : " on \(run.host)")
            let items = run.workItems ?? run.workItem.map { [$0] } ?? []
            let item = items.isEmpty ? "" : (items.count > 1 ? " items " : " item ") + items.map { "\($0.index)" }.joined(separator: ",") + "/\(items[0].count)"
            let what = "iteration \(run.task.iteration + 1)/\(run.task.metadata.maxIterations) \(run.stage.rawValue)\(item)\(elapsed), \(owner)"
                + (run.alive ? "" : " (gone)") + (costs ? ", " + (run.task.usage?.costUSD.map { "$" + $0.dollars + " so far" } ?? "cost unknown so far") : "")
            lines.append(row(run.task, what))
        }
        for task in status.recent {
            let reason = task.exitReason.map { "\($0.rawValue), " } ?? ""
            lines.append(row(task, "\(reason)\(duration(now.seconds - task.updatedAt.seconds)) ago"))
        }
        return lines
    }

    /// `--watch`: on a terminal, the status redrawn in place whenever a task branch moves (and every few seconds for
    /// the elapsed times); otherwise the status once, then a line for each task whose state changes. Until Ctrl-C.
    static func watch(_ workspace: Workspace, recent: Int, _ context: Context) throws {
        let palette = try context.palette()
        let redraws = context.terminal.isInteractive
        var drawn = 0
        var states: [TaskID: TaskState]?
        try workspace.watchTasks(orEvery: redraws ? 5 : 30) {
            if redraws {
                var lines = lines(of: try workspace.queueStatus(recent: recent).status, palette: palette)
                if lines.isEmpty { lines = ["no tasks yet"] }
                // Up over what was drawn last, each line cleared to its end, and whatever is left below cleared.
                context.terminal.print((drawn > 0 ? "\u{1B}[\(drawn)F" : "") + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J")
                drawn = lines.count
                context.terminal.flush()
                return true
            }
            let tasks = try workspace.store.list().tasks.map(\.record)
            if let known = states {
                for task in tasks where known[task.id] != task.state {
                    let move = known[task.id].map { "\($0.rawValue) -> " } ?? "new, "
                    context.terminal.print("\(task.id)  \(move)\(task.state.rawValue)  \(TaskTitle.oneLine(task.title, limit: 60))")
                }
            } else {
                for line in lines(of: try workspace.queueStatus(recent: recent).status, palette: palette) { context.terminal.print(line) }
            }
            states = Dictionary(tasks.map { ($0.id, $0.state) }) { $1 }
            context.terminal.flush()
            return true
        }
    }

    /// `45s`, `3m05s`, `2h10m`, `3d4h`: as short as a table wants.
    static func duration(_ seconds: Int64) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3_600: return "\(seconds / 60)m\(String(seconds % 60).paddedTo2)s"
        case ..<86_400: return "\(seconds / 3_600)h\(String(seconds % 3_600 / 60).paddedTo2)m"
        default: return "\(seconds / 86_400)d\(seconds % 86_400 / 3_600)h"
        }
    }
}
