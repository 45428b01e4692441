/// What can go wrong with naming, creating and moving tasks.
public enum TaskError: AEEError, Equatable {
    case unknown(String)
    case ambiguous(String, candidates: [TaskID])
    case invalidID(String)
    case noBranch(TaskID)
    case onlyOnRemote(TaskID, remote: String)
    case illegalTransition(TaskID, from: TaskState, to: TaskState)
    case emptyTitle
    case titleControlCharacter(UInt32)
    case concurrentUpdate(TaskID)
    case noFreeTaskID
    case namespaceTaken
    /// The commit a task started from (whose config it runs with) is not in this repository.
    case baseCommitMissing(TaskID, commit: String)

    public var description: String {
        switch self {
        case .unknown(let prefix):
            "no task matches '\(prefix)'"
        case .ambiguous(let prefix, let candidates):
            "task id '\(prefix)' is ambiguous: \(candidates.map(\.rawValue).joined(separator: ", "))"
        case .invalidID(let text):
            "'\(text.quotedInMessage)' is not a task id (ids are up to 8 digits and lowercase letters other than i, l, o and u)"
        case .noBranch(let id):
            "task \(id) has no branch aee/\(id); its record is only in HEAD's history and cannot change"
        case .onlyOnRemote(let id, let remote):
            "task \(id) is only on \(remote.quotedInMessage) (its fetched branch \(remote.quotedInMessage)/aee/\(id)), not here"
        case .illegalTransition(let id, let from, let to):
            "cannot move task \(id) from \(from) to \(to)"
        case .emptyTitle:
            "the task title is empty"
        case .titleControlCharacter(let scalar):
            "the task title contains the control character U+\(String(scalar, radix: 16, uppercase: true).leftPadded(to: 4))"
        case .concurrentUpdate(let id):
            "task \(id) kept changing under us; try again"
        case .noFreeTaskID:
            "could not find an unused task id"
        case .namespaceTaken:
            "a branch named 'aee' exists, so git cannot hold task branches 'aee/<id>' beside it"
        case .baseCommitMissing(let id, let commit):
            "task \(id) started from commit \(commit.prefix(12)), which is not in this repository"
        }
    }
}
