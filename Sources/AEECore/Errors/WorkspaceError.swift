/// What can go wrong with the workspaces agents work in, and the local dashboard's socket.
public enum WorkspaceError: AEEError, Equatable {
    /// Where workspaces go (`aee.workspaceRoot` or the cache directory) cannot hold one.
    case rootUnusable(path: String, reason: String)
    /// A filter driver git must run (`filter.<name>.required`) whose program cannot be found.
    case filterUnavailable(name: String, program: String)
    /// The agent removed or broke its workspace (its files or its git directory).
    case damaged(path: String, reason: String)
    /// `git aee web` cannot listen on 127.0.0.1:`port` (0: any free port).
    case cannotServe(port: UInt16, reason: String)

    public var description: String {
        switch self {
        case .rootUnusable(let path, let reason):
            "cannot make a workspace in \(path.escapedForTerminal): \(reason)"
        case .filterUnavailable(let name, let program):
            "filter '\(name.quotedInMessage)' is required, but its command '\(program.quotedInMessage)' was not found"
        case .damaged(let path, let reason):
            "the task's workspace \(path.escapedForTerminal) is damaged: \(reason.escapedForTerminal)"
        case .cannotServe(let port, let reason):
            "cannot listen on 127.0.0.1:\(port == 0 ? "(a free port)" : String(port)): \(reason)"
        }
    }
}
