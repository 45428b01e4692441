import AEECore

/// `git aee diff <id> [--stat | --name-only | --name-status] [[--] <path>...]`: the change a task made against the
/// commit it started from, without its records, through a pager as `git diff` does.
enum DiffCommand: Command {
    static let spec = CommandSpec(
        name: "diff",
        summary: "show the change a task made against the commit it started from",
        synopsis: "<id> [--stat | --name-only | --name-status] [[--] <path>...]",
        options: [
            OptionSpec(long: "stat", help: "a line per file with its added and removed lines, and a summary"),
            OptionSpec(long: "name-only", help: "only the names of the files changed"),
            OptionSpec(long: "name-status", help: "the names of the files changed, each with A, M, D or R"),
        ],
        positionals: 1...Int.max)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let chosen = ["stat", "name-only", "name-status"].filter { arguments.flag($0) }
        if chosen.count > 1 { throw UsageError.conflict(option: chosen[0], with: chosen[1], reason: "they are different ways to print the change") }
        let format: PatchFormat = switch chosen.first {
        case "stat": .stat(width: 80)
        case "name-only": .nameOnly
        case "name-status": .nameStatus
        default: .patch
        }
        let workspace = try context.workspace()
        let id = try context.task(arguments.positionals[0])
        let change = try workspace.change(of: id, paths: try workspace.pathsFromHere(Array(arguments.positionals.dropFirst())), format: format)
        let palette = try context.palette()
        let shown: [UInt8] = switch format {
        case .patch where palette.enabled: colored(change, palette)
        case .stat where palette.enabled: coloredStat(change, palette)
        default: change
        }
        Pager.show(shown, configured: try workspace.settings.string("core.pager"), terminal: context.terminal)
        return 0
    }

    /// A patch coloured as git colours one: headers bold, hunk lines cyan, added lines green, removed ones red.
    static func colored(_ patch: [UInt8], _ palette: Palette) -> [UInt8] {
        let lines = String(decoding: patch, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let text = String(line)
            if text.hasPrefix("diff --git ") || text.hasPrefix("index ") || text.hasPrefix("--- ") || text.hasPrefix("+++ ")
                || text.hasPrefix("new file mode") || text.hasPrefix("deleted file mode") || text.hasPrefix("rename ") || text.hasPrefix("similarity ") {
                return palette.paint(text, "1")
            }
            if text.hasPrefix("@@") { return palette.paint(text, "36") }
            if text.hasPrefix("+") { return palette.paint(text, "32") }
            if text.hasPrefix("-") { return palette.paint(text, "31") }
            return text
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// A `--stat` coloured as git colours one: in each file's graph the `+` run green and the `-` run red.
    static func coloredStat(_ stat: [UInt8], _ palette: Palette) -> [UInt8] {
        let lines = String(decoding: stat, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let bar = line.ranges(of: " | ").last else { return String(line) }
            // The count is right-aligned, as git aligns it: ` a | 3 ++`, ` b | 12 +`.
            let after = line[bar.upperBound...]
            let count = after.prefix { $0 == " " } + after.drop { $0 == " " }.prefix { $0 != " " }
            let graph = after.dropFirst(count.count)
            guard graph.first == " ", graph.dropFirst().allSatisfy({ $0 == "+" || $0 == "-" }) else { return String(line) }
            let pluses = graph.dropFirst().prefix { $0 == "+" }
            let minuses = graph.dropFirst(1 + pluses.count)
            return line[..<bar.upperBound] + count + " " + (pluses.isEmpty ? "" : palette.paint(String(pluses), "32"))
                + (minuses.isEmpty ? "" : palette.paint(String(minuses), "31"))
        }
        return Array(lines.joined(separator: "\n").utf8)
    }
}
