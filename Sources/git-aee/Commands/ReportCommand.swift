import AEECore
#if canImport(Glibc)
import Glibc
#endif

/// `git aee report [<id>...] [-o <file>|<dir>|-]`: the tasks (all of them by default) as one self-contained HTML page.
enum ReportCommand: Command {
    static let spec = CommandSpec(
        name: "report",
        summary: "write the tasks' stories as one self-contained HTML page",
        synopsis: "[<id>...] [-o|--output <file>|<dir>|-]",
        options: [OptionSpec(long: "output", short: "o", value: "file", help: "where to write it: a file, a directory (aee-report.html in it) or - for stdout (default: aee-report.html here)")],
        positionals: 0...Int.max)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let workspace = try context.workspace()
        let tasks = try ReportedTask.all(arguments.positionals.isEmpty ? nil : arguments.positionals.map { try context.task($0) }, in: workspace)
        let page = ReportPage.html(tasks, repository: workspace.name, generated: .now)
        var target = arguments.value("output") ?? "aee-report.html"
        if target.isEmpty { throw UsageError.badValue(option: "output", value: target, expected: "a file, a directory or - for stdout") }
        if target == "-" {
            context.terminal.print(page, terminator: "")
            return 0
        }
        var status = stat()
        if stat(target, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { target += (target.hasSuffix("/") ? "" : "/") + "aee-report.html" }
        try writeWhole(Array(page.utf8), to: target)
        context.terminal.print(target)
        return 0
    }
}
