import AEECore

/// `git aee trust [<commit>]`: approves the commands of `.aee/config.json` (the working tree's, or a commit's: the
/// one a task starts from), which otherwise do not run (docs/guarantees.md).
enum TrustCommand: Command {
    static let spec = CommandSpec(
        name: "trust",
        summary: "approve the commands of .aee/config.json for this repository",
        synopsis: "[<commit>] [--check] | --revoke",
        options: [
            OptionSpec(long: "check", help: "list the commands not approved yet, approving nothing; exit 1 if there are any"),
            OptionSpec(long: "revoke", help: "forget every approval recorded for this repository"),
        ],
        positionals: 0...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        if arguments.flag("check") && arguments.flag("revoke") {
            throw UsageError.conflict(option: "check", with: "revoke", reason: "one lists approvals still missing, the other removes them all")
        }
        let workspace = try context.workspace()
        if let revision = arguments.positionals.first {
            // Revoking forgets every approval, whatever the commit.
            if arguments.flag("revoke") { throw UsageError.wrongArgumentCount(expected: 0...0, got: 1) }
            try workspace.useConfig(ofRevision: revision)
        }
        if arguments.flag("revoke") {
            let count = try workspace.revokeTrust()
            context.terminal.print("revoked \(count) approval\(count == 1 ? "" : "s")")
            return 0
        }
        if arguments.flag("check") {
            let missing = try workspace.untrusted(workspace.projectCommands())
            for entry in missing { context.terminal.print(entry.description) }
            return missing.isEmpty ? 0 : 1
        }
        for entry in try workspace.trustProjectCommands() {
            context.terminal.print("approved \(entry.command.label): \(entry.command.shown)")
        }
        return 0
    }
}
