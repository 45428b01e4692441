import AEECore

/// `git aee list`: one line per task, oldest first.
enum ListCommand: Command {
    static let spec = CommandSpec(
        name: "list",
        summary: "list tasks",
        synopsis: "[--state <state>] [--json]",
        options: [
            OptionSpec(long: "state", value: "state", help: "only tasks in this state (draft, approved, queued, running, succeeded, failed, blocked, canceled)"),
            OptionSpec(long: "json", help: "print {\"tasks\": [records, as stored]}"),
        ])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let state = try arguments.value("state").map { text in
            guard let state = TaskState(userInput: text) else {
                throw UsageError.badValue(option: "state", value: text, expected: TaskState.allCases.map { $0.rawValue.lowercased() }.joined(separator: ", "))
            }
            return state
        }
        let listing = try context.workspace().store.list(state: state)
        for problem in listing.problems { context.terminal.warning(problem) }
        if arguments.flag("json") {
            context.terminal.write(CanonicalJSON.document(key: "tasks", items: listing.tasks.map(\.json)))
            return 0
        }
        let palette = try context.palette()
        for task in listing.tasks.map(\.record) {
            let updated = String(task.updatedAt.description.prefix(16)).replacingT()
            context.terminal.print("\(task.id)  \(palette.state(task.state, padded: 9))  \(palette.dim(updated))  \(TaskTitle.oneLine(task.title))")
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
