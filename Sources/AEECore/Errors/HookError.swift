/// What can go wrong with installing and running git hooks.
public enum HookError: AEEError, Equatable {
    case chainOccupied(hook: String, chained: String)
    case edited(String)
    /// A hook that finds what it runs by its own name or place (husky's), which a rename to `pre-push.aee-chained` breaks.
    case nameDependent(String)
    case notInstalled(String)
    case tracked(String)
    case badInput(String)

    public var description: String {
        switch self {
        case .chainOccupied(let hook, let chained):
            "\(hook) is another tool's hook and \(chained) already exists, so it cannot be kept aside"
        case .edited(let hook):
            "\(hook) is git aee's hook but has been edited"
        case .nameDependent(let hook):
            "\(hook) finds what it runs by its own name (as husky's hooks do): kept aside as pre-push.aee-chained it would silently run nothing"
        case .notInstalled(let hook):
            "\(hook) is not git aee's hook; left alone"
        case .tracked(let path):
            "'\(path.quotedInMessage)' is tracked in this repository (core.hooksPath): installing would change the team's file"
        case .badInput(let line):
            "unexpected pre-push input line: '\(line.quotedInMessage)'"
        }
    }
}
