/// `git aee help [command]`: the command list, or one command's usage.
enum HelpCommand: Command {
    static let spec = CommandSpec(
        name: "help",
        summary: "show the commands, or one command's options",
        synopsis: "[<command>] [--reference <part>]",
        options: [OptionSpec(long: "reference", value: "part",
                             help: "print a generated part of the documentation: synopsis or options (git-aee.1), markdown (docs/cli.md)")],
        positionals: 0...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        if let part = arguments.value("reference") {
            guard let text = ReferenceDocs.render(part) else {
                throw UsageError.badValue(option: "reference", value: part, expected: ReferenceDocs.parts.joined(separator: ", "))
            }
            context.terminal.print(text, terminator: "")
            return 0
        }
        guard let name = arguments.positionals.first else {
            context.terminal.print(overview)
            return 0
        }
        guard let command = commands.first(where: { $0.spec.name == name }) else { throw UsageError.unknownCommand(name) }
        context.terminal.print(command.spec.summary.prefix(1).uppercased() + command.spec.summary.dropFirst() + ".\n")
        context.terminal.print(command.spec.usage, terminator: "")
        return 0
    }

    static var overview: String {
        let width = commands.map { $0.spec.name.count }.max()! + 3
        let rows = commands.map { "   " + $0.spec.name.padding(width) + $0.spec.summary }
        return (["usage: git aee <command> [<args>]", "", "Commands:"] + rows + [
            "",
            "'git aee help <command>' or 'git aee <command> -h' shows a command's options;",
            "'git aee --help' opens the manual page.",
        ]).joined(separator: "\n")
    }
}
