import AEECore

/// `git aee log <id>`: the audit timeline, oldest first.
enum LogCommand: Command {
    static let spec = CommandSpec(
        name: "log",
        summary: "show a task's audit timeline",
        synopsis: "<id> [--json]",
        options: [OptionSpec(long: "json", help: "print {\"events\": [events, each with its commit]}")],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let workspace = try context.workspace()
        let history = try workspace.store.history(of: try context.task(arguments.positionals[0]))
        if arguments.flag("json") {
            try context.printJSON(EventList(events: history.map { EventList.Entry(event: $0.event, commit: $0.commit) }))
            return 0
        }
        let palette = try context.palette()
        for entry in history {
            let event = entry.event
            // Steps inside a run do not change the state; only moves show an arrow.
            let move = (event.fromState.flatMap { $0 == event.toState ? nil : "\($0) -> " } ?? "") + palette.state(event.toState)
            let details = event.details.sorted { $0.key < $1.key }.map { "\($0)=\(TaskTitle.oneLine($1, limit: 200))" }
            let columns = [
                palette.dim(entry.commit.map { String($0.prefix(7)) } ?? "-------"),
                event.time.description,
                event.event.escapedForTerminal.padding(16),
                move,
                "by " + event.actor.escapedForTerminal,
            ] + details
            context.terminal.print(columns.joined(separator: "  "))
        }
        return 0
    }
}

/// The `log --json` document: each event as stored, plus the commit that recorded it.
struct EventList: Encodable {
    struct Entry: Encodable {
        let event: TaskEvent
        let commit: String?

        func encode(to encoder: any Encoder) throws {
            try event.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(commit, forKey: .commit)
        }

        enum Key: String, CodingKey { case commit }
    }

    let events: [Entry]
}

extension String {
    func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
