import AEECore

/// `git aee remote <name> [--add-fetch-refspec]`: how task branches travel through a remote, and (on request) a
/// fetch refspec so a plain `git fetch` brings them too.
enum RemoteCommand: Command {
    static let spec = CommandSpec(
        name: "remote",
        summary: "show how tasks travel through a remote; optionally make 'git fetch' bring them",
        synopsis: "<name> [--add-fetch-refspec]",
        options: [OptionSpec(long: "add-fetch-refspec", help: "add the task branches' refspec to remote.<name>.fetch (never touches remote.<name>.push)")],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let name = arguments.positionals[0]
        let (refspec, configured) = try context.workspace().taskRefspec(of: name, add: arguments.flag("add-fetch-refspec"))
        context.terminal.print("tasks travel with: \(refspec)")
        context.terminal.print("remote.\(name).fetch: " + (configured ? "covers it, so 'git fetch \(name)' brings the task branches"
                                                                        : "does not include it; 'git aee remote \(name) --add-fetch-refspec' adds it"))
        return 0
    }
}
