import AEECore

/// `git aee hooks install|uninstall`: puts the pre-push hook in place, or takes it out.
enum HooksCommand: Command {
    static let spec = CommandSpec(
        name: "hooks",
        summary: "install or uninstall the pre-push hook",
        synopsis: "(install [--force] | uninstall [--force])",
        options: [OptionSpec(long: "force", short: "f", help: "replace (or remove) an edited copy of git aee's hook, or chain a hook the repository tracks")],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let installing = arguments.positionals[0] == "install"
        let installer = try context.workspace().hookInstaller(force: !installing || arguments.flag("force"))
        switch arguments.positionals[0] {
        case "install":
            let outcome = try installer.install(force: arguments.flag("force"))
            let hook = installer.place
            // Beside the pre-commit framework's hook, which runs ours first: said, so that nobody looks for ours in pre-push.
            let run = hook == installer.directory + "pre-push" ? "" : ", which pre-commit's pre-push hook runs first"
            switch outcome {
            case .alreadyInstalled: context.terminal.print("\(hook) is already git aee's hook\(run)")
            case .updated: context.terminal.print("Updated \(hook) to the current version of git aee's hook\(run)")
            case .installedChaining: context.terminal.print("Installed \(hook)\(run); the hook that was there is kept as \(installer.directory)pre-push.aee-chained and runs first")
            default: context.terminal.print("Installed \(hook)\(run)")
            }
            if try context.workspace().hooksDirectoryIsShared() {
                context.terminal.warning("core.hooksPath comes from your global git config: \(installer.directory) holds the hooks of every repository that uses it, and this one now runs in each (one without .aee/config.json passes)")
                context.terminal.hint("to guard this repository alone, give it its own: git config core.hooksPath .git/hooks, then install again")
            }
        case "uninstall":
            let hook = installer.place
            let outcome = try installer.uninstall(force: arguments.flag("force"))
            if outcome == .nothingToRemove {
                context.terminal.print("There is no pre-push hook in \(installer.directory)")
            } else {
                context.terminal.print("Removed \(hook)" + (outcome == .removedRestoring ? "; the hook kept aside is back in its place" : ""))
            }
        case let other:
            throw UsageError.badValue(option: "hooks", value: other, expected: "install or uninstall")
        }
        return 0
    }
}

/// `git aee hook pre-push <remote> <url>`: what the installed hook runs, with git's ref lines on stdin.
enum HookCommand: Command {
    static let spec = CommandSpec(
        name: "hook",
        summary: "run a hook's check (called by the installed pre-push hook)",
        synopsis: "pre-push <remote> <url>",
        positionals: 1...3)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        guard arguments.positionals[0] == "pre-push" else {
            throw UsageError.badValue(option: "hook", value: arguments.positionals[0], expected: "pre-push")
        }
        let input = StandardInput.readAll()
        if context.environment["AEE_SKIP_GATES"] == "1" {
            context.terminal.warning("AEE_SKIP_GATES=1: the gates were not run for this push")
            return 0
        }
        ProcessGroups.shared.killOnInterrupt()
        let workspace: Workspace
        do {
            workspace = try context.workspace()
        } catch let error as RepositoryError {
            // A repository git aee cannot read (SHA-256) has no gates of its: the hook, in a hooks directory shared
            // with it (a global core.hooksPath), stays out of its way.
            guard case .unsupportedRepository = error else { throw error }
            context.terminal.stderr("git aee: not gated: \(error)")
            return 0
        }
        let check = try workspace.checkPush(try PushedRef.parse(input))
        ProcessGroups.shared.dieIfInterrupted()
        if !check.skipped.isEmpty {
            let names = check.skipped.map { $0.remoteRef.replacingPrefix("refs/heads/", with: "") }
            let what = names.count <= 3 ? names.joined(separator: ", ").escapedForTerminal : "\(names.count) refs"
            context.terminal.stderr("git aee: not gated: \(what) (git aee's task branches hold the work as it was judged; refs that are not branches or tags are not code)")
        }
        let failures = check.verdicts.filter { !$0.report.passed }
        for verdict in failures {
            let failed = verdict.report.results.filter { !$0.passed }
            context.terminal.stderr("git aee: \(verdict.ref.localRef) (\(verdict.commit.prefix(12))) did not pass: \(failed.map(\.gate).joined(separator: ", "))")
            for result in failed where result.status != .skipped {
                context.terminal.stderr("--- \(result.gate): \(result.command.escapedForTerminal)")
                let lines = result.outputTail.split(separator: "\n").suffix(GateCommand.tailLines)
                if !lines.isEmpty { context.terminal.stderr(lines.map { String($0).escapedForTerminal }.joined(separator: "\n")) }
            }
        }
        guard failures.isEmpty else {
            context.terminal.error("push stopped by git aee's gates")
            context.terminal.hint("fix what failed, or push with --no-verify (or AEE_SKIP_GATES=1) to skip the gates")
            return 1
        }
        return 0
    }
}
