import AEECore

/// One task as the report shows it: its record, its story, its timeline and its change.
struct ReportedTask {
    let record: TaskRecord
    let story: TaskStory
    let history: [TaskStore.HistoryEntry]
    /// The change as `git aee diff` prints it.
    let change: [UInt8]
    /// Each work item's own change, by its commit.
    let itemChanges: [String: [UInt8]]

    /// The tasks `ids` names, or every task oldest first when nil, read for the page.
    static func all(_ ids: [TaskID]?, in workspace: Workspace) throws -> [ReportedTask] {
        let store = workspace.store
        let chosen = try ids ?? store.list().tasks.map(\.record.id)
        return try chosen.map { id in
            let story = try store.story(of: id)
            let commits = story.iterations.flatMap(\.workItems).filter { $0.filesChanged > 0 }.compactMap(\.commit)
            return ReportedTask(record: try store.record(of: id), story: story, history: try store.history(of: id),
                                change: (try? workspace.change(of: id, paths: [], format: .patch)) ?? [],
                                itemChanges: Dictionary(commits.map { ($0, (try? workspace.change(ofCommit: $0, format: .patch)) ?? []) }) { $1 })
        }
    }
}

/// A self-contained HTML page of tasks: no script, no network, no font or image from elsewhere (its content
/// security policy says so to the browser too), so one file works as a CI artifact or an attachment. Everything
/// shown from the records (titles, agents' and gates' output, diffs) is escaped: it is hostile input.
enum ReportPage {
    /// The most of one task's change the page holds.
    static let maxChange = 256 * 1024
    /// The most of one work item's change it holds.
    static let maxItemChange = 64 * 1024

    /// What `git aee web` adds to the page: the runs under way, and a script (allowed by its nonce alone) that reloads
    /// the page when the server says a task moved.
    struct Live {
        let token: String
        let nonce: String
        /// A line per queued or running task, as `status` prints them.
        let now: [String]
        /// The server's count of branch moves when the page was made (`LocalServer.changeCount`).
        let changeCount: Int
    }

    static func html(_ tasks: [ReportedTask], repository: String, generated: Timestamp, live: Live? = nil) -> String {
        let policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:" + (live.map { "; script-src 'nonce-\($0.nonce)'; connect-src 'self'" } ?? "")
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="\(policy)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>git aee report: \(escape(repository))</title>
            <style>\(style)</style>
            </head>
            <body>
            <h1>git aee report</h1>
            <p class="meta">\(escape(repository)), \(tasks.count) task\(tasks.count == 1 ? "" : "s"), generated \(generated)</p>

            """
        if let live {
            page += "<h2>Now</h2>\n" + (live.now.isEmpty ? "<p class=\"meta\">nothing queued or running</p>\n"
                : "<pre class=\"now\">" + live.now.map(escape).joined(separator: "\n") + "</pre>\n")
            page += "<script nonce=\"\(live.nonce)\">new EventSource(\"/events?token=\(live.token)&seen=\(live.changeCount)\").addEventListener(\"change\", () => location.reload());</script>\n"
        }
        page += taskList(tasks)
        for task in tasks { page += section(task) }
        return page + "</body>\n</html>\n"
    }

    /// The table of tasks, each linking to its section.
    static func taskList(_ tasks: [ReportedTask]) -> String {
        var rows = ""
        for task in tasks {
            let record = task.record
            rows += "<tr><td><a href=\"#task-\(record.id)\"><code>\(record.id)</code></a></td><td>\(escape(TaskTitle.oneLine(record.title, limit: 200)))</td>"
                + "<td class=\"state \(record.state.rawValue.lowercased())\">\(record.state.rawValue)</td><td>\(escape(record.exitReason?.rawValue ?? ""))</td>"
                + "<td>\(record.iteration)</td><td>\(cost(record.usage?.costUSD?.dollars))</td><td>\(task.story.seconds.map(duration) ?? "")</td></tr>\n"
        }
        return """
            <table class="tasks">
            <thead><tr><th>task</th><th>title</th><th>state</th><th>exit reason</th><th>iterations</th><th>cost</th><th>took</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>

            """
    }

    static func section(_ task: ReportedTask) -> String {
        let record = task.record
        var html = "<section id=\"task-\(record.id)\">\n<h2>\(escape(TaskTitle.oneLine(record.title, limit: 300))) <code>\(record.id)</code></h2>\n<dl>\n"
        var facts: [(String, String)] = [("state", record.state.rawValue + (record.exitReason.map { " (\($0.rawValue))" } ?? ""))]
        if let detail = record.exitDetail { facts.append(("why", detail)) }
        facts += [("iterations", "\(record.iteration) of \(record.metadata.maxIterations)"), ("gates", record.metadata.gates.joined(separator: ", ")),
                  ("base", record.baseCommit.map { String($0.prefix(12)) + (record.baseBranch.map { " (\($0))" } ?? "") } ?? "none"),
                  ("created", "\(record.createdAt) by \(record.createdBy)"), ("cost", cost(record.usage?.costUSD?.dollars))]
        for (key, value) in facts { html += "<dt>\(key)</dt><dd>\(escape(value))</dd>\n" }
        html += "</dl>\n"
        if !task.story.iterations.isEmpty {
            html += "<h3>Attempts</h3>\n" + ReportGraph.attempts(task.story) + "<h3>Iterations</h3>\n"
            for iteration in task.story.iterations { html += self.iteration(iteration, itemChanges: task.itemChanges) }
            html += "<h3>Cost per iteration</h3>\n" + ReportGraph.costs(task.story)
        }
        html += "<h3>Change</h3>\n" + change(task.change) + "<h3>Timeline</h3>\n" + timeline(task.history) + "</section>\n"
        return html
    }

    static func iteration(_ iteration: TaskStory.Iteration, itemChanges: [String: [UInt8]]) -> String {
        let verdict = iteration.end?.verdict ?? "running"
        var facts = [verdict.replacingUnderscores]
        if let seconds = iteration.seconds { facts.append(duration(seconds)) }
        facts.append(iteration.costUSD == nil ? "cost unknown" : cost(iteration.costUSD?.dollars))
        var html = "<details class=\"iteration \(escape(verdict))\" open>\n<summary>Iteration \(iteration.number): \(escape(facts.joined(separator: ", ")))</summary>\n"
        if let detail = iteration.end?.detail { html += "<p class=\"why\">\(escape(detail))</p>\n" }
        if !iteration.workItems.isEmpty {
            html += "<table class=\"items\"><thead><tr><th>work item</th><th>status</th><th>files</th><th>title</th></tr></thead><tbody>\n"
            for item in iteration.workItems {
                html += "<tr><td><code>\(escape(item.id))</code></td><td>\(escape(item.status.replacingUnderscores))</td><td>\(item.filesChanged)</td><td>\(escape(item.title))</td></tr>\n"
            }
            html += "</tbody></table>\n"
            for item in iteration.workItems {
                for (what, paths) in ShowCommand.keptOut(item.kept) {
                    html += "<p class=\"kept\">work item <code>\(escape(item.id))</code>, \(escape(what)): " + paths.map { "<code>\(escape($0))</code>" }.joined(separator: ", ") + "</p>\n"
                }
            }
            for item in iteration.workItems {
                guard let commit = item.commit, let patch = itemChanges[commit] else { continue }
                html += "<details class=\"item-change\"><summary>the change of work item <code>\(escape(item.id))</code>: \(item.filesChanged) file"
                    + "\(item.filesChanged == 1 ? "" : "s"), commit <code>\(escape(String(commit.prefix(12))))</code></summary>\n"
                    + change(patch, limit: maxItemChange, rest: "git diff \(commit.prefix(12))^ \(commit.prefix(12)) -- . ':!.aee'") + "</details>\n"
            }
        }
        if let stop = iteration.agentStop { html += agentStop(stop) }
        for gate in iteration.gates {
            html += "<div class=\"gate \(escape(gate.status))\"><p>gate <code>\(escape(gate.name))</code>: \(escape(gate.status.replacingUnderscores))"
                + (gate.exitCode.map { gate.status == "passed" ? "" : " (exit \($0))" } ?? "") + (gate.cached ? " (cached: the same tree passed before)" : "") + "</p>\n"
            if !gate.output.isEmpty { html += "<pre>\(escape(gate.output))</pre>\n" }
            html += "</div>\n"
        }
        if let failure = iteration.failure, let context = try? CanonicalJSON.encode(failure) {
            html += "<details class=\"context\"><summary>the failure context the next iteration is given (failure_context.json)</summary>\n"
                + "<pre>\(escape(String(decoding: context, as: UTF8.self)))</pre></details>\n"
        }
        return html + "</details>\n"
    }

    /// The agent call that ended an iteration badly: how it ended and the end of what it printed.
    static func agentStop(_ stop: TaskStory.AgentStop) -> String {
        let report = stop.report
        let call = stop.workItem.map { "work item <code>\(escape($0))</code>" } ?? "the plan"
        var said = "the agent's call for \(call) ended \(escape(report.status.rawValue.replacingUnderscores))"
            + (report.exitCode.map { " (exit \($0))" } ?? "")
        if let failure = report.failure { said += ": " + escape(failure.message) }
        return "<div class=\"agent\"><p>\(said)</p>\n" + (report.outputTail.isEmpty ? "" : "<pre>\(escape(report.outputTail))</pre>\n") + "</div>\n"
    }

    /// The change as a coloured patch, cut at `limit` bytes (`rest` says what shows the rest).
    static func change(_ patch: [UInt8], limit: Int = maxChange, rest: String = "git aee diff") -> String {
        guard !patch.isEmpty else { return "<p class=\"meta\">no change outside .aee/</p>\n" }
        var text = String(decoding: patch.prefix(limit), as: UTF8.self)
        if patch.count > limit { text += "\n[cut at \(limit / 1024) KiB: '\(rest)' shows the rest]\n" }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let kind = line.hasPrefix("+++") || line.hasPrefix("---") || line.hasPrefix("diff ") ? "file"
                : line.hasPrefix("@@") ? "hunk" : line.hasPrefix("+") ? "add" : line.hasPrefix("-") ? "del" : ""
            return kind.isEmpty ? escape(String(line)) : "<span class=\"\(kind)\">\(escape(String(line)))</span>"
        }
        return "<pre class=\"diff\">" + lines.joined(separator: "\n") + "</pre>\n"
    }

    static func timeline(_ history: [TaskStore.HistoryEntry]) -> String {
        var rows = ""
        for entry in history {
            let event = entry.event
            let move = (event.fromState.flatMap { $0 == event.toState ? nil : "\($0.rawValue) → " } ?? "") + event.toState.rawValue
            let details = event.details.sorted { $0.key < $1.key }.map { "\($0)=\(TaskTitle.oneLine($1, limit: 200))" }.joined(separator: " ")
            rows += "<tr><td><code>\(entry.commit.map { String($0.prefix(7)) } ?? "")</code></td><td>\(event.time)</td><td>\(escape(event.event))</td>"
                + "<td>\(escape(move))</td><td>\(escape(event.actor))</td><td>\(escape(details))</td></tr>\n"
        }
        return "<table class=\"timeline\"><thead><tr><th>commit</th><th>time</th><th>event</th><th>state</th><th>by</th><th>details</th></tr></thead><tbody>\n"
            + rows + "</tbody></table>\n"
    }

    /// Text made safe inside HTML elements and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func cost(_ dollars: String?) -> String { dollars.map { "$" + $0 } ?? "unknown" }

    static func duration(_ seconds: Int64) -> String { StatusCommand.duration(seconds) }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1d1d1f}
        code,pre{font-family:ui-monospace,monospace;font-size:13px}
        pre{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre-wrap}
        table{border-collapse:collapse;margin:.5em 0}th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
        .meta{color:#666}.state.succeeded{color:#1a7f37}.state.failed,.state.blocked{color:#cf222e}.state.running,.state.queued{color:#9a6700}
        section{border-top:2px solid #ddd;margin-top:2em}dl{display:grid;grid-template-columns:8em 1fr;gap:.2em 1em}dt{color:#666}dd{margin:0}
        details.iteration{border-left:4px solid #ccc;padding-left:.8em;margin:.8em 0}details.passed{border-color:#1a7f37}details.failed{border-color:#cf222e}
        .gate.failed p,.gate.timed_out p,.agent p,.kept{color:#cf222e}.why{color:#555}summary{cursor:pointer}
        .diff .add{color:#1a7f37}.diff .del{color:#cf222e}.diff .hunk{color:#0969da}.diff .file{font-weight:bold}
        """
}
