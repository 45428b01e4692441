import AEECore

/// What the CLI adds to the core's errors: the exit status each ends a command with, and the hint that names the
/// commands to type next. What went wrong is the core's text, which the records keep too.
extension AEEError {
    /// The exit status it ends a command with: 128 when nothing was written, 2 for a run that stopped with its task
    /// BLOCKED, 3 for one someone else ended, 5 for one whose task someone else took (docs/cli.md).
    var exitStatus: Int32 {
        switch self as any Error {
        case RunError.runStopped, RunError.runStoppedUnrecorded: 2
        case RunError.deletedWhileRunning: 3
        case RemoteError.moved: 5
        default: 128
        }
    }

    /// A next step for the user, printed as `hint:` lines.
    var hint: String? {
        switch self {
        case let error as AgentError: error.advice
        case let error as ConfigError: error.advice
        case let error as HookError: error.advice
        case let error as RemoteError: error.advice
        case let error as RepositoryError: error.advice
        case let error as RunError: error.advice
        case let error as TaskError: error.advice
        case let error as WorkspaceError: error.advice
        default: nil
        }
    }
}

extension AgentError {
    var advice: String? {
        switch self {
        case .noAgent:
            "pass --agent claude-code (or codex, aider, mini-swe-agent, or a command), or set one: git config aee.agent claude-code (or \"agent\": {\"kind\": ...} in .aee/config.json); see docs/agents.md"
        case .notInstalled(_, _, let hint):
            hint
        case .modelForCommand:
            "a command agent picks its model itself (put the flag in the command); built-in agents: claude-code, codex, aider, mini-swe-agent"
        case .builtInMisnamed(let command, let meant):
            "pass --agent \(meant); to run '\(command.quotedInMessage)' as a command of your own, give it its flags (docs/agents.md#the-agent-contract)"
        case .needsModel:
            "pass --model (for example openai/gpt-5.5), or set git config aee.model or agent.model in .aee/config.json"
        case .notFound:
            "check the command (--agent, git config aee.agent, or .aee/config.json); a relative path is taken from the top of the working tree"
        default:
            nil
        }
    }
}

extension ConfigError {
    var advice: String? {
        switch self {
        case .configExists:
            "use 'git aee init --force' to overwrite it"
        case .unknownGate:
            "define gates in .aee/config.json ('git aee init' writes a starter) or with 'git config aee.gate.<name>.run CMD'"
        case .untrustedCommands(let commands, _) where commands.allSatisfy(\.command.fromTaskRecord):
            "the task's last run used that agent, perhaps on another clone; '--agent CMD' runs it (or another) as your own"
        case .untrustedCommands(_, let commit):
            "read them; 'git aee trust\(commit.map { " " + $0.prefix(12) } ?? "")' approves the commands of .aee/config.json\(commit == nil ? "" : " as of that commit") for this repository, '--agent CMD' runs an agent as your own, '--trust' or AEE_TRUST=1 trusts them for one run (as in CI)"
        case .noProjectConfig(let commit):
            commit == nil ? "'git aee init' writes a starter" : nil
        case .selfReview(let gate, _):
            "name another agent for the review in .aee/config.json ('agent': {'review': ...}), or set 'allow_self_review': true on gate '\(gate)'"
        case .gateProgramMissing(let gate, _):
            "install it, or change the gate's command (.aee/config.json, or 'git config aee.gate.\(gate).run CMD'); it would fail every iteration"
        default:
            nil
        }
    }
}

extension HookError {
    var advice: String? {
        switch self {
        case .chainOccupied(_, let chained):
            "merge the two hooks into \(chained) by hand, then run 'git aee hooks install' again"
        case .edited:
            "'git aee hooks install --force' replaces it with the current version; 'git aee hooks uninstall --force' removes it"
        case .tracked:
            "call 'git aee hook pre-push \"$@\"' from it yourself (with git's input on its stdin), or 'git aee hooks install --force' to chain it (it is then kept as pre-push.aee-chained)"
        case .nameDependent:
            "call 'git aee hook pre-push \"$@\"' from the script it runs (with husky: .husky/pre-push) yourself, with git's input on its stdin"
        default:
            nil
        }
    }
}

extension RemoteError {
    var advice: String? {
        switch self {
        case .unknown:
            "'git remote -v' lists the remotes"
        case .failed(let name, let action, _):
            action == "push to" ? "the task's commits are all here; they reach the remote with the next push that gets through"
                : "'git remote -v' shows where \(name.quotedInMessage) points; nothing here was changed"
        case .moved(let id, _, _, _):
            "this clone has the remote's story now: 'git aee show \(id)' tells what happened"
        default:
            nil
        }
    }
}

extension RepositoryError {
    var advice: String? {
        switch self {
        case .dubiousOwnership(let path):
            "it belongs to another user; to trust it as git does: git config --global --add safe.directory '\(path.quotedInMessage)'"
        case .dirtyWorkTree:
            "commit or stash your changes, or run without --here (the task then gets a workspace of its own)"
        case .sparseHere:
            "run without --here: the task then gets a workspace of its own, with every file"
        case .cannotFastForward(_, let task, _):
            "the result stays on the task's branch; merge it yourself: git merge aee/\(task)"
        default:
            nil
        }
    }
}

extension RunError {
    var advice: String? {
        switch self {
        case .runStopped(let id, _):
            "the task is BLOCKED with what it did so far; 'git aee run \(id)' continues it once that is fixed"
        case .runStoppedUnrecorded(let id, _):
            "the stop could not be recorded either: the task is left RUNNING with what it committed; 'git aee resume \(id)' goes on once that is fixed"
        case .deletedWhileRunning(_, let attempts, let kept):
            (attempts.isEmpty ? "it had committed nothing" : "what it committed is on " + attempts.joined(separator: ", ") + " ('git branch -D' removes them too)")
                + (kept.map { "; its workspace \($0) is kept: it holds work found nowhere else" } ?? "")
        case .interactiveNeedsTerminal:
            "run it from a terminal, or pass --mode autonomous"
        case .interactiveCannotQueue:
            "pass --mode autonomous, or run it now on a terminal with 'git aee task'"
        case .notRunnable(let id, let state):
            state == .draft ? "approve it first: git aee approve \(id)" : nil
        case .alreadyRunning(let id, _, let alive):
            alive ? "'git aee cancel \(id)' stops it" : "'git aee resume \(id)' continues it; 'git aee cancel \(id)' ends it, its work so far kept on its branches"
        case .notRunning(let id, let state):
            [.approved, .queued, .blocked].contains(state) ? "'git aee run \(id)' runs it" : nil
        case .ownerUnknown(let id, _):
            "a worker resumes it once its lease runs out; 'git aee resume --force \(id)' takes it over now"
        case .cannotResume(let id, _):
            "'git aee cancel \(id)' ends the task; its branches keep the work so far"
        case .attemptExists(let id, _):
            "'git aee cancel \(id)' ends the task; the branch keeps that run's commits"
        case .sharedThroughRemote(let id, let remote):
            "--remote \(remote.quotedInMessage) claims it there first: git aee run \(id) --remote \(remote.quotedInMessage) (or, for a run that died, git aee resume \(id) --remote \(remote.quotedInMessage)); to keep it to this clone instead: git update-ref -d refs/remotes/\(remote)/aee/\(id)"
        case .mergeIntoSparseCheckout:
            "leave out --merge, and merge the task's branch with git once it has run: git merge --ff-only aee/<id>"
        case .mergeWithoutBranch(let id):
            id == nil ? "check out the branch to merge into first, or leave out --merge (the result stays on the task's branch)"
                      : "leave out --merge: the result stays on the task's branch, for you to merge where you want it"
        default:
            nil
        }
    }
}

extension TaskError {
    var advice: String? {
        switch self {
        case .onlyOnRemote(let id, let remote):
            "make it local first: git branch aee/\(id) \(remote.quotedInMessage)/aee/\(id) ('git aee run \(id) --remote \(remote.quotedInMessage)' does that itself)"
        case .ambiguous:
            "type more characters of the id"
        case .unknown:
            "'git aee list' shows the tasks"
        case .illegalTransition(_, let from, _):
            "from \(from) a task may move to: " + (StateMachine.successors(of: from).map(\.rawValue).joined(separator: ", ").nonEmpty ?? "nothing (it is final)")
        case .concurrentUpdate:
            "another git aee process is changing the same task"
        case .namespaceTaken:
            "rename that branch, for example: git branch -m aee aee-old"
        case .baseCommitMissing:
            "fetch it from where the task came from ('git fetch <remote>'): the task runs with that commit's .aee/config.json"
        default:
            nil
        }
    }
}

extension WorkspaceError {
    var advice: String? {
        switch self {
        case .filterUnavailable(let name, _):
            "install it, or check 'git config --get-regexp ^filter\\.\(name.quotedInMessage)\\.'; files under its attributes cannot be checked out or staged without it"
        case .rootUnusable:
            "choose another place: git config --global aee.workspaceRoot DIR (docs/storage.md, 'Workspaces')"
        case .cannotServe(let port, _):
            port == 0 ? nil : "choose another port, or leave out --port for a free one"
        default:
            nil
        }
    }
}
