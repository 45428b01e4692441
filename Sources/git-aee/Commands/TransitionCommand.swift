import AEECore

/// What `approve` and `cancel` share: resolve the task, make the move, report it.
enum TransitionCommand {
    static func move(_ arguments: ParsedArguments, _ context: Context, to state: TaskState, reason: String? = nil) throws -> Int32 {
        let workspace = try context.workspace()
        let id = try context.task(arguments.positionals[0])
        let identity = try workspace.identity()
        let (before, record) = state == .canceled ? try workspace.cancel(id, reason: reason, identity: identity)
                                                  : try workspace.store.transition(id, to: state, identity: identity)
        // A run in progress finds out at once rather than at its next step.
        if before == .running, state == .canceled {
            switch try workspace.stopOwner(of: id) {
            case .nothing: break
            case .signalled: context.terminal.stderr("stopping the run of \(id)")
            case .leftovers(let stopped): context.terminal.warning(stopped)
            }
        }
        if identity.isFallback { context.terminal.hint(Identity.fallbackHint) }
        if arguments.flag("json") {
            try context.printJSON(record)
        } else {
            context.terminal.print("\(id): \(before) -> \(record.state)")
        }
        return 0
    }

    static let jsonOption = OptionSpec(long: "json", help: "print the updated record as JSON")
}

/// `git aee approve <id>`: DRAFT -> APPROVED.
enum ApproveCommand: Command {
    static let spec = CommandSpec(
        name: "approve",
        summary: "approve a DRAFT task",
        synopsis: "<id> [--json]",
        options: [TransitionCommand.jsonOption],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        try TransitionCommand.move(arguments, context, to: .approved)
    }
}

/// `git aee cancel <id> [--reason TEXT]`: any unfinished task -> CANCELED.
enum CancelCommand: Command {
    static let spec = CommandSpec(
        name: "cancel",
        summary: "cancel a task that has not finished",
        synopsis: "<id> [--reason <text>] [--json]",
        options: [OptionSpec(long: "reason", short: "m", value: "text", help: "why, recorded in the audit log"), TransitionCommand.jsonOption],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let reason = arguments.value("reason")
        return try TransitionCommand.move(arguments, context, to: .canceled, reason: reason)
    }
}
