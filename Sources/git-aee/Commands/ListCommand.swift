import AEECore

/// `git aee list`: one line per task, oldest first.
enum ListCommand: Command {
    static let spec = CommandSpec(
        name: "list",
        summary: "list tasks",
        synopsis: "[--state <state>] [--local] [--json]",
        options: [
            OptionSpec(long: "state", value: "state", help: "only tasks in this state (draft, approved, queued, running, succeeded, failed, blocked, canceled)"),
            OptionSpec(long: "local", help: "leave out the tasks only a remote has (fetched as <remote>/aee/<id>)"),
            OptionSpec(long: "json", help: "print {\"tasks\": [records, as stored]}"),
        ])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let state = try arguments.value("state").map { text in
            guard let state = TaskState(userInput: text) else {
                throw UsageError.badValue(option: "state", value: text, expected: TaskState.allCases.map { $0.rawValue.lowercased() }.joined(separator: ", "))
            }
            return state
        }
        let store = try context.workspace().store
        if arguments.flag("json") {
            // Records as stored: only what sorts and filters them is needed, and the list cache knows it for most.
            let listing = try store.storedRecords(state: state)
            for problem in listing.problems { context.terminal.warning(problem) }
            let tasks = listing.records.filter { !arguments.flag("local") || $0.remote == nil }
            context.terminal.write(CanonicalJSON.document(key: "tasks", items: tasks.map(\.json)))
            return 0
        }
        let listing = try store.list(state: state)
        for problem in listing.problems { context.terminal.warning(problem) }
        let tasks = listing.tasks.filter { !arguments.flag("local") || $0.remote == nil }
        let palette = try context.palette()
        for task in tasks {
            let record = task.record
            let updated = String(record.updatedAt.description.prefix(16)).replacingT()
            // A teammate's task, known here only from a fetch, says where it is (as `git branch -a` does).
            let remote = task.remote.map { palette.dim("  (\($0.escapedForTerminal))") } ?? ""
            context.terminal.print("\(record.id)  \(palette.state(record.state, padded: 9))  \(palette.dim(updated))  \(TaskTitle.oneLine(record.title))" + remote)
        }
        return 0
    }
}

extension String {
    /// `2026-11-25T10:00` -> `2026-11-25 10:00`, the way a table reads best.
    func replacingT() -> String {
        String(map { $0 == "T" ? " " : $0 })
    }
}
