import AEECore
#if canImport(Glibc)
import Glibc
#endif

/// `git aee web [--port <n>] [--open]`: the report, live, on 127.0.0.1 until Ctrl-C.
enum WebCommand: Command {
    static let spec = CommandSpec(
        name: "web",
        summary: "serve a live, read-only dashboard of the tasks on 127.0.0.1",
        synopsis: "[--port <n>] [--open]",
        options: [
            OptionSpec(long: "port", value: "n", help: "the port to listen on (default: a free one)"),
            OptionSpec(long: "open", help: "open the page in the desktop's browser (xdg-open)"),
        ])

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let workspace = try context.workspace()
        let server = try LocalServer(port: UInt16(try arguments.int("port", in: 0...65_535) ?? 0))
        let url = "http://127.0.0.1:\(server.port)/?token=\(server.token)"
        context.terminal.print(url)
        context.terminal.flush()
        context.terminal.hint("read-only; Ctrl-C stops it")
        if arguments.flag("open") { open(url, context) }
        try workspace.serve(server) { path in
            guard path == "/" else { return (404, "text/plain", Array("not found\n".utf8)) }
            let tasks = try ReportedTask.all(nil, in: workspace)
            let status = try workspace.queueStatus(recent: 0).status
            var nonce = SystemRandomNumberGenerator()
            let live = ReportPage.Live(token: server.token, nonce: String(nonce.next(), radix: 36), now: StatusCommand.lines(of: status, palette: Palette(enabled: false), costs: true),
                                         changeCount: server.changeCount)
            return (200, "text/html; charset=utf-8", Array(ReportPage.html(tasks, repository: workspace.name, generated: .now, live: live).utf8))
        }
        return 0
    }

    /// Hands the URL to the desktop's browser; says so when there is none to hand it to.
    static func open(_ url: String, _ context: Context) {
        var pid: pid_t = 0
        let words: [String] = ["xdg-open", url]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        if posix_spawnp(&pid, "xdg-open", nil, nil, &argv, environ) != 0 {
            context.terminal.warning("cannot open a browser here (no xdg-open); open the URL above yourself")
        }
    }
}
