import AEECore

/// `git aee gate [<name>...]`: judges the working tree with the gates.
enum GateCommand: Command {
    static let spec = CommandSpec(
        name: "gate",
        summary: "judge the working tree with the gates",
        synopsis: "[<name>...] [--no-cache] [--jobs <n>] [--json] [--trust]",
        options: [
            OptionSpec(long: "jobs", short: "j", value: "n", help: "run up to n gates at once (default: aee.gateJobs, else the number of cores)"),
            OptionSpec(long: "no-cache", help: "run every gate, even on a tree that already passed it"),
            OptionSpec(long: "json", help: "print the results as a gate_results.json document"),
            RunCommand.trustOption,
        ],
        positionals: 0...64)

    /// Lines of a failed gate's output shown under the table.
    static let tailLines = 20

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        ProcessGroups.shared.killOnInterrupt()
        let workspace = try context.workspace()
        let jobs = try arguments.int("jobs")
        if let jobs, jobs < 1 { throw UsageError.badValue(option: "jobs", value: String(jobs), expected: "a whole number from 1") }
        let spinner = !arguments.flag("json") && context.terminal.isInteractive ? GateSpinner() : nil
        defer { spinner?.stop() }
        let report = try workspace.judgeWorkingTree(arguments.positionals, useCache: !arguments.flag("no-cache"), jobs: jobs,
                                                    events: { event in spinner?.record(event) })
        spinner?.stop()
        ProcessGroups.shared.dieIfInterrupted()
        if arguments.flag("json") {
            try context.printJSON(report)
        } else {
            try printTable(report, context)
        }
        guard !report.passed else { return 0 }
        let failed = report.results.filter { !$0.passed }.map(\.gate)
        context.terminal.error("\(failed.count) of \(report.results.count) gates did not pass: \(failed.joined(separator: ", "))")
        return 1
    }

    static func printTable(_ report: GateReport, _ context: Context) throws {
        let palette = try context.palette()
        let width = report.results.map(\.gate.count).max() ?? 0
        for result in report.results {
            let status = result.status == .passed ? palette.paint("passed", "32") : palette.paint(result.status.rawValue.uppercased(), "31")
            let padding = String(repeating: " ", count: 9 - result.status.rawValue.count)
            var columns = [result.gate.padding(width), status + padding, duration(result.durationMilliseconds).leftAligned(7)]
            if result.cached { columns.append(palette.dim("cached")) }
            if let code = result.exitCode, code != 0 { columns.append("exit \(code)") }
            context.terminal.print(columns.joined(separator: "  "))
        }
        for result in report.results where result.status == .failed || result.status == .timedOut {
            let lines = result.outputTail.split(separator: "\n", omittingEmptySubsequences: false).dropLast(result.outputTail.hasSuffix("\n") ? 1 : 0)
            context.terminal.print("\n--- \(result.gate): \(result.command.escapedForTerminal)")
            if lines.count > tailLines || result.outputDroppedBytes > 0 { context.terminal.print(palette.dim("[... last \(min(lines.count, tailLines)) lines]")) }
            for line in lines.suffix(tailLines) { context.terminal.print(String(line).escapedForTerminal) }
        }
    }

    static func duration(_ milliseconds: Int) -> String {
        milliseconds < 1000 ? "\(milliseconds)ms" : "\(milliseconds / 1000).\(milliseconds % 1000 / 100)s"
    }
}

extension String {
    func leftAligned(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
