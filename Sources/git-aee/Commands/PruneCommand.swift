import AEECore

/// `git aee prune`: removes what ended tasks no longer need (their workspaces; with `--branches`, their branches once
/// their commits are elsewhere), saying each thing and why.
enum PruneCommand: Command {
    static let spec = CommandSpec(
        name: "prune",
        summary: "remove the workspaces (and, asked, the branches) of ended tasks",
        synopsis: "[--dry-run] [--branches [--older-than <age>]]",
        options: [
            OptionSpec(long: "dry-run", short: "n", help: "say what would be removed and what is kept, and why; remove nothing"),
            OptionSpec(long: "branches", help: "delete the branches of tasks that ended long enough ago, when a branch you keep, a tag or a remote holds their commits"),
            OptionSpec(long: "older-than", value: "age", help: "with --branches: ended at least this long ago, e.g. 14d, 2w, 12h, 0 (default 14d)"),
        ],
        positionals: 0...0)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        var options = PruneOptions()
        options.dryRun = arguments.flag("dry-run")
        options.branches = arguments.flag("branches")
        if let age = arguments.value("older-than") {
            guard options.branches else { throw UsageError.requires(option: "older-than", other: "branches") }
            guard let seconds = PruneOptions.seconds(ofAge: age) else { throw UsageError.badValue(option: "older-than", value: age, expected: "an age such as 14d, 2w, 12h, 30m or 0") }
            options.olderThanSeconds = seconds
        }
        for entry in try context.workspace().prune(options) {
            if let line = line(for: entry, dryRun: options.dryRun) { context.terminal.print(line) }
        }
        return 0
    }

    /// What prune says of `entry`: what it removed (or would), and with `dryRun` what it keeps; why, each time.
    static func line(for entry: PruneEntry, dryRun: Bool) -> String? {
        let what = entry.kind == .workspace ? "workspace \(entry.name.escapedForTerminal)" : "branch \(entry.name)"
        if entry.removed { return "\(dryRun ? "would remove" : "removed") \(what) (\(entry.reason))" }
        return dryRun ? "keeping \(what): \(entry.reason)" : nil
    }
}
