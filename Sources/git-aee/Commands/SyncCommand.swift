import AEECore

/// `git aee sync <remote> [--settle]`: brings a remote's task branches here as workers and `run --remote` do, pushes
/// there the ends of runs that could not reach it, and (with `--settle`) gives each branch that diverged the remote's
/// side, keeping this clone's.
enum SyncCommand: Command {
    static let spec = CommandSpec(
        name: "sync",
        summary: "fetch a remote's task branches and fast-forward the ones here",
        synopsis: "<remote> [--settle]",
        options: [OptionSpec(long: "settle", help: "a task branch that diverged from the remote's takes the remote's; this clone's is kept under refs/aee/diverged/")],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let remote = arguments.positionals[0]
        // A teammate's new task stays the remote's (list marks it): a branch here would let a worker without
        // --remote run it without claiming it there.
        let results = try context.workspace().syncTasks(from: remote, settle: arguments.flag("settle"))
        for (divergence, kept) in results {
            if let kept { context.terminal.print("\(divergence.name): took \(remote.escapedForTerminal)'s; this clone's is kept at \(kept)") }
        }
        for branch in try context.workspace().deliverEndedTasks(to: remote) {
            context.terminal.print("\(branch): pushed its end to \(remote.escapedForTerminal), which its run could not reach")
        }
        return context.report(results.filter { $0.kept == nil }.map(\.divergence), remote: remote) ? 1 : 0
    }
}

extension Context {
    /// Warns of task branches that diverged from `remote`'s, with the way to settle them; returns whether there were any.
    @discardableResult
    func report(_ diverged: [TaskRemote.Divergence], remote: String) -> Bool {
        for divergence in diverged { terminal.warning("\(divergence); left as it is") }
        guard !diverged.isEmpty else { return false }
        terminal.hint("'git aee sync \(remote.escapedForTerminal) --settle' gives each the remote's side and keeps this clone's under refs/aee/diverged/")
        return true
    }
}
