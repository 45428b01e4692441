import AEECore

/// A `git aee` subcommand: its option table and what it does with parsed arguments.
protocol Command: Sendable {
    static var spec: CommandSpec { get }
    /// Returns the exit status.
    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32
}

/// What a command runs with: the terminal, the environment, and the repository, opened only when asked for.
final class Context {
    let terminal: Terminal
    let environment: [String: String]
    /// `--trust` was given: the commands of `.aee/config.json` run without the user's approval.
    var trustsAllCommands = false
    private var opened: Workspace?

    init(terminal: Terminal, environment: [String: String]) {
        self.terminal = terminal
        self.environment = environment
    }

    func workspace() throws -> Workspace {
        if let opened { return opened }
        let workspace = try Workspace.open(environment: environment)
        workspace.trustsAllCommands = trustsAllCommands
        switch workspace.recoverInterruptedFastForward() {
        case .putBack(let branch, let task):
            terminal.warning("git aee was stopped while it fast-forwarded \(branch) to task \(task): the files it had written were put back as \(branch) has them")
            terminal.hint("'git merge --ff-only aee/\(task)' moves \(branch) to the task's commit")
        case .leftAsItIs(let branch, let task, let paths):
            terminal.warning("git aee was stopped while it fast-forwarded \(branch) to task \(task), and these files are neither as \(branch) nor as the task has them: \(paths.prefix(5).joined(separator: ", "))\(paths.count > 5 ? " and \(paths.count - 5) more" : "")")
            terminal.hint("'git status' shows them; \(branch) did not move, and 'git diff aee/\(task)' shows what the task's commit has")
        case nil:
            break
        }
        opened = workspace
        return workspace
    }

    func palette() throws -> Palette {
        terminal.colors(preference: try workspace().colorPreference())
    }

    /// Resolves what the user typed to one task id.
    func task(_ text: String) throws -> TaskID {
        try workspace().store.resolve(text)
    }

    /// Prints a value as canonical JSON (for a task record: the same bytes as its `task.json`).
    func printJSON<T: Encodable>(_ value: T) throws {
        terminal.write(try CanonicalJSON.encode(value))
    }
}

/// Every command, in the order `git aee help` lists them.
let commands: [any Command.Type] = [
    InitCommand.self,
    TaskCommand.self,
    RunCommand.self,
    ResumeCommand.self,
    RemoteCommand.self,
    SyncCommand.self,
    TrustCommand.self,
    WorkerCommand.self,
    StatusCommand.self,
    ApproveCommand.self,
    CancelCommand.self,
    ListCommand.self,
    ShowCommand.self,
    DiffCommand.self,
    ReportCommand.self,
    WebCommand.self,
    LogCommand.self,
    PruneCommand.self,
    GateCommand.self,
    HooksCommand.self,
    HookCommand.self,
    HelpCommand.self,
]

let version = "0.1.0"
