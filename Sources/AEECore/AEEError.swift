import Git

/// Everything the core can refuse, each with a message for the person at the terminal.
public enum AEEError: Error, CustomStringConvertible, Equatable {
    case notARepository(GitError)
    /// A run that had started stopped on an error (`reason`); its task is left BLOCKED with what it did so far.
    case runStopped(TaskID, reason: String)
    case branchMovedUnderRun(branch: String)
    /// The task's branch was deleted while a run of it went on; the run ended there.
    case taskDeletedWhileRunning(TaskID, attempts: [String], keptWorkspace: String?)
    case dubiousOwnership(path: String)
    case unsupportedRepository(extension: String)
    case needsWorkTree(command: String)
    /// A JSON file (config, record, event log) that is malformed or has a wrong value.
    case invalidFile(file: String, key: String, reason: String)
    case configExists(file: String)
    case unknownTask(String)
    case ambiguousTask(String, candidates: [TaskID])
    case invalidTaskID(String)
    case taskHasNoBranch(TaskID)
    case taskOnlyOnRemote(TaskID, remote: String)
    case illegalTransition(TaskID, from: TaskState, to: TaskState)
    case emptyTitle
    case titleControlCharacter(UInt32)
    case unknownGate(String, known: [String])
    case gateCycle([String])
    case hookChainOccupied(hook: String, chained: String)
    case hookEdited(String)
    case hookNotInstalled(String)
    case hookTracked(String)
    case badHookInput(String)
    case invalidSetting(key: String, value: String, expected: String)
    case concurrentUpdate(TaskID)
    case noFreeTaskID
    case taskNamespaceTaken
    case invalidDate(variable: String, value: String)
    case fileSystem(path: String, reason: String)
    case git(GitError)
    case noAgent
    case agentNotFound(String)
    case agentNotInstalled(agent: String, program: String, hint: String)
    case agentNeedsModel(agent: String)
    case modelForCommand(String)
    case builtInAgentMisnamed(String, meant: String)
    case interactiveNeedsTerminal
    case interactiveCannotQueue
    case taskNotRunnable(TaskID, TaskState)
    case taskRunning(TaskID, owner: String, alive: Bool)
    case attemptExists(TaskID, branch: String)
    case notRunning(TaskID, TaskState)
    case unknownRemote(String)
    case remoteFailed(String, action: String, reason: String)
    /// The remote moved a branch of a run under it; `there` says what the remote's story is now, when known.
    case remoteMoved(TaskID, remote: String, branch: String, there: String?)
    /// The commit a task started from (whose config it runs with) is not in this repository.
    case baseCommitMissing(TaskID, commit: String)
    case ownerUnknown(TaskID, owner: String)
    case cannotResume(TaskID, reason: String)
    case dirtyWorkTree(paths: [String])
    case cannotFastForward(branch: String, task: TaskID, reason: String)
    /// `commit`: the commit whose `.aee/config.json` holds them, when not the working tree's.
    case untrustedCommands([UntrustedCommand], commit: String?)
    case unknownRevision(String)
    /// `git aee web` cannot listen on 127.0.0.1:`port` (0: any free port).
    case cannotServe(port: UInt16, reason: String)
    /// A path given on the command line that leads outside the working tree.
    case pathOutsideRepository(String, root: String)
    /// `commit`: the commit looked in, when not the working tree.
    case noProjectConfig(commit: String?)
    /// Where workspaces go (`aee.workspaceRoot` or the cache directory) cannot hold one.
    case workspaceRootUnusable(path: String, reason: String)
    /// A filter driver git must run (`filter.<name>.required`) whose program cannot be found.
    case filterUnavailable(name: String, program: String)
    /// The agent removed or broke its workspace (its files or its git directory).
    case workspaceDamaged(path: String, reason: String)

    public var description: String {
        switch self {
        case .runStopped(_, let reason):
            reason
        case .branchMovedUnderRun(let branch):
            "\(branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch) was moved by something other than the run while it wrote to it"
        case .taskDeletedWhileRunning(let id, _, _):
            "the branch aee/\(id) was deleted while the task ran; the run stopped"
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
        case .invalidFile(let file, let key, let reason):
            key.isEmpty ? "\(file): \(reason.escapedForTerminal)" : "\(file): '\(key.quotedInMessage)': \(reason.escapedForTerminal)"
        case .configExists(let file):
            "\(file) already exists"
        case .unknownTask(let prefix):
            "no task matches '\(prefix)'"
        case .ambiguousTask(let prefix, let candidates):
            "task id '\(prefix)' is ambiguous: \(candidates.map(\.rawValue).joined(separator: ", "))"
        case .invalidTaskID(let text):
            "'\(text.quotedInMessage)' is not a task id (ids are up to 8 digits and lowercase letters other than i, l, o and u)"
        case .taskOnlyOnRemote(let id, let remote):
            "task \(id) is only on \(remote.quotedInMessage) (its fetched branch \(remote.quotedInMessage)/aee/\(id)), not here"
        case .taskHasNoBranch(let id):
            "task \(id) has no branch aee/\(id); its record is only in HEAD's history and cannot change"
        case .illegalTransition(let id, let from, let to):
            "cannot move task \(id) from \(from) to \(to)"
        case .emptyTitle:
            "the task title is empty"
        case .titleControlCharacter(let scalar):
            "the task title contains the control character U+\(String(scalar, radix: 16, uppercase: true).leftPadded(to: 4))"
        case .unknownGate(let name, let known):
            "unknown gate '\(name.quotedInMessage)' (known: \(known.joined(separator: ", ")))"
        case .hookChainOccupied(let hook, let chained):
            "\(hook) is another tool's hook and \(chained) already exists, so it cannot be kept aside"
        case .hookEdited(let hook):
            "\(hook) is git aee's hook but has been edited"
        case .hookTracked(let path):
            "'\(path.quotedInMessage)' is tracked in this repository (core.hooksPath): installing would change the team's file"
        case .hookNotInstalled(let hook):
            "\(hook) is not git aee's hook; left alone"
        case .badHookInput(let line):
            "unexpected pre-push input line: '\(line.quotedInMessage)'"
        case .gateCycle(let names):
            "the gates' 'needs' form a loop: \(names.joined(separator: " -> "))"
        case .invalidSetting(let key, let value, let expected):
            "bad value '\(value.quotedInMessage)' for \(key): expected \(expected)"
        case .concurrentUpdate(let id):
            "task \(id) kept changing under us; try again"
        case .noFreeTaskID:
            "could not find an unused task id"
        case .taskNamespaceTaken:
            "a branch named 'aee' exists, so git cannot hold task branches 'aee/<id>' beside it"
        case .invalidDate(let variable, let value):
            "invalid date format in \(variable): \(value.quotedInMessage)"
        case .fileSystem(let path, let reason):
            "\(path): \(reason)"
        case .git(let error):
            error.description
        case .noAgent:
            "no agent is configured to run the task"
        case .agentNotFound(let program):
            "the agent command '\(program.quotedInMessage)' was not found"
        case .agentNotInstalled(let agent, let program, _):
            "the agent \(agent) runs '\(program)', which is not on PATH"
        case .modelForCommand(let command):
            "--model is for a built-in agent; the agent command '\(command.quotedInMessage)' takes none"
        case .builtInAgentMisnamed(let command, let meant):
            "'\(command.quotedInMessage)' is not an agent git aee knows: the built-in agent is '\(meant)'"
        case .agentNeedsModel(let agent):
            "the agent \(agent) needs a model: without one it picks a provider by whichever API key it finds"
        case .interactiveNeedsTerminal:
            "interactive mode asks for approval of the plan on a terminal, and there is none"
        case .interactiveCannotQueue:
            "an interactive task cannot be queued: a worker has no terminal to ask for approval on"
        case .taskNotRunnable(let id, let state):
            "task \(id) is \(state); only APPROVED, QUEUED or BLOCKED tasks can run"
        case .taskRunning(let id, let owner, let alive):
            alive ? "task \(id) is already running (\(owner))" : "task \(id) was left RUNNING by \(owner), which is no longer running"
        case .attemptExists(let id, let branch):
            "task \(id): branch \(branch.dropFirst("refs/heads/".count)) is left over from a run that did not finish"
        case .notRunning(let id, let state):
            "task \(id) is \(state), not RUNNING: there is no run to resume"
        case .unknownRemote(let name):
            "'\(name.quotedInMessage)' is not a remote of this repository"
        case .remoteFailed(let name, let action, let reason):
            "could not \(action) \(name.quotedInMessage): \(reason)"
        case .remoteMoved(let id, let remote, let branch, let there):
            "task \(id): \(branch.dropFirst("refs/heads/".count)) on \(remote.escapedForTerminal) was changed by someone else"
                + (there.map { " (\($0))" } ?? "") + "; this run stops and adds nothing"
        case .ownerUnknown(let id, let owner):
            "task \(id) is run by \(owner), which this machine cannot check"
        case .baseCommitMissing(let id, let commit):
            "task \(id) started from commit \(commit.prefix(12)), which is not in this repository"
        case .cannotResume(let id, let reason):
            "cannot resume task \(id): \(reason)"
        case .dirtyWorkTree(let paths):
            "--here needs a clean working tree; \(paths.count) path\(paths.count == 1 ? " differs" : "s differ"): " + paths.prefix(5).map(\.escapedForTerminal).joined(separator: ", ") + (paths.count > 5 ? ", ..." : "")
        case .cannotFastForward(let branch, _, let reason):
            "cannot fast-forward \(branch.hasPrefix("refs/heads/") ? String(branch.dropFirst(11)) : branch): \(reason)"
        case .cannotServe(let port, let reason):
            "cannot listen on 127.0.0.1:\(port == 0 ? "(a free port)" : String(port)): \(reason)"
        case .pathOutsideRepository(let path, let root):
            "\(path.quotedInMessage): '\(path.quotedInMessage)' is outside repository at '\(root.quotedInMessage)'"
        case .unknownRevision(let revision):
            "'\(revision.quotedInMessage)' names no commit"
        case .untrustedCommands(let commands, _):
            (commands.allSatisfy(\.command.fromTaskRecord) ? "the task's records ask"
                : commands.contains(where: \.command.fromTaskRecord) ? "\(ProjectConfig.path) and the task's records ask" : "\(ProjectConfig.path) asks")
                + " to run commands you have not approved:" + commands.map { "\n    \($0)" }.joined()
        case .noProjectConfig(let commit):
            commit.map { "commit \($0.prefix(12)) has no \(ProjectConfig.path)" } ?? "there is no \(ProjectConfig.path) here"
        case .workspaceRootUnusable(let path, let reason):
            "cannot make a workspace in \(path.escapedForTerminal): \(reason)"
        case .filterUnavailable(let name, let program):
            "filter '\(name.quotedInMessage)' is required, but its command '\(program.quotedInMessage)' was not found"
        case .workspaceDamaged(let path, let reason):
            "the task's workspace \(path.escapedForTerminal) is damaged: \(reason.escapedForTerminal)"
        }
    }
}
