/// What can go wrong with sharing tasks through a remote.
public enum RemoteError: AEEError, Equatable {
    case unknown(String)
    case failed(String, action: String, reason: String)
    /// The remote moved a branch of a run under it; `there` says what the remote's story is now, when known.
    case moved(TaskID, remote: String, branch: String, there: String?)

    public var description: String {
        switch self {
        case .unknown(let name):
            "'\(name.quotedInMessage)' is not a remote of this repository"
        case .failed(let name, let action, let reason):
            "could not \(action) \(name.quotedInMessage): \(reason)"
        case .moved(let id, let remote, let branch, let there):
            "task \(id): \(branch.dropFirst("refs/heads/".count)) on \(remote.escapedForTerminal) was changed by someone else"
                + (there.map { " (\($0))" } ?? "") + "; this run stops and adds nothing"
        }
    }
}
