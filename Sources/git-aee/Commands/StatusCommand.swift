import AEECore

/// `git aee status`: what is queued, what runs (where, how far, for how long) and what finished lately.
enum StatusCommand: Command {
    static let spec = CommandSpec(
        name: "status",
        summary: "show queued, running and recently finished tasks",
        synopsis: "[--recent <n>] [--json]",
        options: [
            OptionSpec(long: "recent", value: "n", help: "how many finished tasks to show (default 5)"),
            OptionSpec(long: "json", help: "print {\"queued\": [...], \"running\": [...], \"recent\": [...]}"),
        ])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let recent = try arguments.int("recent") ?? 5
        guard recent >= 0 else { throw UsageError.badValue(option: "recent", value: String(recent), expected: "a number, 0 or more") }
        let (status, problems) = try context.workspace().queueStatus(recent: recent)
        for problem in problems { context.terminal.warning(problem) }
        if arguments.flag("json") {
            try context.printJSON(status)
            return 0
        }
        let palette = try context.palette()
        let now = Timestamp.now
        func row(_ task: TaskRecord, _ what: String) -> String {
            "\(palette.state(task.state, padded: 9))  \(task.id)  \(what.padded(to: 44))  \(TaskTitle.oneLine(task.title, limit: 60))"
        }
        for task in status.queued {
            context.terminal.print(row(task, "waiting " + duration(now.seconds - task.updatedAt.seconds)))
        }
        for run in status.running {
            let elapsed = run.startedAt.map { " " + duration(now.seconds - $0.seconds) } ?? ""
            let owner = "pid \(run.pid.map(String.init) ?? "?")" + (run.host == RunOwner.thisHost ? "" : " on \(run.host)")
            let what = "iteration \(run.task.iteration + 1)/\(run.task.metadata.maxIterations) \(run.stage)\(elapsed), \(owner)"
                + (run.alive ? "" : " (gone)")
            context.terminal.print(row(run.task, what))
        }
        for task in status.recent {
            let reason = task.exitReason.map { "\($0.rawValue), " } ?? ""
            context.terminal.print(row(task, "\(reason)\(duration(now.seconds - task.updatedAt.seconds)) ago"))
        }
        if status.queued.isEmpty && status.running.isEmpty && status.recent.isEmpty {
            context.terminal.hint("no tasks yet; 'git aee task \"...\" --queue' queues one")
        }
        return 0
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
