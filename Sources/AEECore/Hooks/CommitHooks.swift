#if canImport(Glibc)
import Glibc
#endif

/// The repository's own `pre-commit` and `commit-msg` hooks (secret scanners, the pre-commit framework's commit stage,
/// sign-off checks), run on each work item's commit as `git commit` would run them: in the checkout, with
/// `GIT_INDEX_FILE` naming the index being committed, the message file as `commit-msg`'s argument. libgit2 runs no
/// hooks, so without this a task's commits (and `--merge`) would get past checks a plain `git commit` cannot.
/// The hooks judge; what `commit-msg` writes into the message is not taken, since the message is git aee's record.
struct CommitHooks {
    /// The hooks directory (`core.hooksPath` resolved against the user's working tree, so an agent cannot edit the
    /// hooks that judge it even where they are tracked files), ending with `/`.
    let directory: String
    let timeoutSeconds: Double
    let graceSeconds: Double

    static let names = ["pre-commit", "commit-msg"]

    /// One hook's verdict.
    struct Verdict {
        let hook: String
        let outcome: Subprocess.Outcome
    }

    /// The hooks git would run: present and executable (git ignores others, with a warning).
    var present: [String] { Self.names.filter { access(directory + $0, X_OK) == 0 } }

    /// Runs the hooks in order, as git does, stopping at the first refusal; returns the verdicts of those that ran.
    func run(in root: String, indexFile: String, messageFile: String, environment: [String: String]) throws -> [Verdict] {
        var verdicts: [Verdict] = []
        for hook in present {
            var process = Subprocess(arguments: [directory + hook] + (hook == "commit-msg" ? [messageFile] : []), directory: root,
                                     environment: environment.merging(["GIT_INDEX_FILE": indexFile]) { $1 }, timeoutSeconds: timeoutSeconds)
            process.outputCap = GateRunner.outputCap
            process.graceSeconds = graceSeconds
            let outcome = try process.run()
            verdicts.append(Verdict(hook: hook, outcome: outcome))
            if !outcome.succeeded { break }
        }
        return verdicts
    }
}

extension Workspace {
    /// The commit hooks a run applies to its work items; nil when `aee.commitHooks` is false.
    func commitHooks() throws -> CommitHooks? {
        guard try settings.bool("aee.commitHooks") ?? true else { return nil }
        return CommitHooks(directory: try hooksDirectory(), timeoutSeconds: Double(GateDefinition.defaultTimeoutSeconds),
                           graceSeconds: try killGraceSeconds())
    }
}
