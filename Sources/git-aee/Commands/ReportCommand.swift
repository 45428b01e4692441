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
        let store = workspace.store
        let ids = try arguments.positionals.isEmpty ? store.list().tasks.map(\.record).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.id)
            : arguments.positionals.map { try context.task($0) }
        let tasks = try ids.map { id in
            ReportedTask(record: try store.record(of: id), story: try store.story(of: id), history: try store.history(of: id),
                         change: (try? workspace.change(of: id, paths: [], format: .patch)) ?? [])
        }
        let page = ReportPage.html(tasks, repository: workspace.name, generated: .now)
        var target = arguments.value("output") ?? "aee-report.html"
        if target.isEmpty { throw UsageError.badValue(option: "output", value: target, expected: "a file, a directory or - for stdout") }
        if target == "-" {
            context.terminal.print(page, terminator: "")
            return 0
        }
        var status = stat()
        if stat(target, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { target += (target.hasSuffix("/") ? "" : "/") + "aee-report.html" }
        try write(page, to: target)
        context.terminal.print(target)
        return 0
    }

    /// Writes `text` to `path` whole or not at all: a file beside it first, then renamed over it.
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".aee-new"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AEEError.fileSystem(path: path, reason: "cannot be written: \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw AEEError.fileSystem(path: path, reason: "cannot be written: \(reason)")
            }
            offset += written
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw AEEError.fileSystem(path: path, reason: "cannot be written: \(reason)")
        }
    }
}
