import Git

/// What can go wrong with the repository a command runs in, and the paths and revisions given to it.
public enum RepositoryError: AEEError, Equatable {
    case notARepository(GitError)
    case dubiousOwnership(path: String)
    case unsupportedRepository(extension: String)
    case needsWorkTree(command: String)
    case unknownRevision(String)
    /// A path given on the command line that leads outside the working tree.
    case pathOutsideRepository(String, root: String)
    /// Pathspec magic (`:!x`, `:(glob)x`) that git aee does not read.
    case unsupportedPathspec(String)
    /// libgit2 failed at something the command was doing (`doing`: "read task abc", "run the queue").
    case git(GitError, doing: String)
    case fileSystem(path: String, reason: String)
    case dirtyWorkTree(paths: [String])
    /// `--here` in a sparse checkout, whose commits would take the files outside it as deleted.
    case sparseHere
    case cannotFastForward(branch: String, task: TaskID, reason: String)

    public var description: String {
        switch self {
        case .notARepository(let error):
            error.isOwnerMismatch ? error.message : "not a git repository (or any of the parent directories): .git"
        case .dubiousOwnership(let path):
            "detected dubious ownership in repository at '\(path.quotedInMessage)'"
        case .unsupportedRepository(let name):
            name.lowercased() == "extensions.objectformat"
                ? "the repository uses SHA-256 object names, which git aee cannot read yet (its libgit2 reads SHA-1 repositories only)"
                : "the repository uses git's \(name.quotedInMessage), which git aee cannot read yet"
        case .needsWorkTree(let command):
            "git aee \(command) must be run in a work tree"
        case .unsupportedPathspec(let path):
            "'\(path.quotedInMessage)': git aee reads paths, ':/path' and ':(top)path', not other pathspec magic"
        case .unknownRevision(let revision):
            "'\(revision.quotedInMessage)' names no commit"
        case .pathOutsideRepository(let path, let root):
            "\(path.quotedInMessage): '\(path.quotedInMessage)' is outside repository at '\(root.quotedInMessage)'"
        case .git(let error, let doing):
            "cannot \(doing): \(error.message)"
        case .fileSystem(let path, let reason):
            "\(path): \(reason)"
        case .dirtyWorkTree(let paths):
            "--here needs a clean working tree; \(paths.count) path\(paths.count == 1 ? " differs" : "s differ"): " + paths.prefix(5).map(\.escapedForTerminal).joined(separator: ", ") + (paths.count > 5 ? ", ..." : "")
        case .sparseHere:
            "--here runs the task in this working tree, a sparse checkout: its commits would delete the files outside it"
        case .cannotFastForward(let branch, _, let reason):
            "cannot fast-forward \(branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch): \(reason)"
        }
    }
}

/// Runs `body`, turning a failure of libgit2 in it into `RepositoryError.git` that says what was being done: the
/// core's public operations wrap themselves in it, so no raw libgit2 error reaches a person.
func doing<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as GitError {
        throw RepositoryError.git(error, doing: what())
    }
}
