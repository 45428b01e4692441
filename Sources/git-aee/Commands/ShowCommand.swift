import AEECore

/// `git aee show <id>`: one task's record.
enum ShowCommand: Command {
    static let spec = CommandSpec(
        name: "show",
        summary: "show a task's record",
        synopsis: "<id> [--json]",
        options: [OptionSpec(long: "json", help: "print the record exactly as task.json holds it")],
        positionals: 1...1)

    static func run(_ arguments: ParsedArguments, _ context: Context) throws -> Int32 {
        let workspace = try context.workspace()
        let record = try workspace.store.record(of: try context.task(arguments.positionals[0]))
        if arguments.flag("json") {
            try context.printJSON(record)
            return 0
        }
        let palette = try context.palette()
        let story = try workspace.store.story(of: record.id)
        let base = record.baseCommit.map { commit in
            String(commit.prefix(12)) + (record.baseBranch.map { " (\($0.hasPrefix("refs/heads/") ? String($0.dropFirst(11)) : $0))" } ?? " (detached)")
        } ?? "(none: the repository had no commits)"
        var rows: [(String, String)] = [
            ("task", record.id.rawValue),
            ("title", TaskTitle.oneLine(record.title, limit: 10_000)),
            ("state", palette.state(record.state) + (record.exitReason.map { " (\($0.rawValue))" } ?? "")),
            ("iteration", iteration(of: record, story: story)),
            ("mode", record.metadata.runMode.rawValue),
            ("gates", record.metadata.gates.joined(separator: ", ").escapedForTerminal),
            ("branch", try branch(of: record.id, context)),
            ("base", base.escapedForTerminal),
            ("created", "\(record.createdAt) by \(record.createdBy.escapedForTerminal)"),
            ("updated", record.updatedAt.description),
        ]
        if let detail = record.exitDetail { rows.insert(("why", TaskTitle.oneLine(detail, limit: 10_000)), at: 3) }
        if record.state == .running {
            let owner = try workspace.owner(of: record.id)
            let gone = owner.liveness == .gone ? ", gone ('git aee resume \(record.id)' continues it)" : ""
            rows.insert(("run", owner.description.escapedForTerminal + gone), at: 3)
        }
        // The agent its last run was started with, which `run` uses again.
        if let agent = try workspace.rememberedAgent(of: record.id) {
            let index = rows.firstIndex { $0.0 == "gates" }.map { $0 + 1 } ?? rows.count
            rows.insert(("agent", TaskTitle.oneLine(agent.agent + (agent.model.map { ", model " + $0 } ?? ""), limit: 200).escapedForTerminal), at: index)
        }
        if let usage = record.usage {
            let cost = usage.costUSD.map { "$" + $0.dollars } ?? "cost unknown"
            let turns = usage.turns.map { "\($0) turn\($0 == 1 ? "" : "s")" } ?? "turns unknown"
            rows.append(("usage", "\(cost), \(turns) (as the agents reported)"))
        }
        // Not in the task branch's history, so neither the iterations below nor `git log aee/<id>` show them.
        for attempt in try workspace.unfinishedAttempts(of: record.id) {
            rows.append(("unfinished", "\(attempt.escapedForTerminal), what an attempt a run did not finish committed ('git log \(attempt.escapedForTerminal)')"))
        }
        if record.metadata.retry != .continue { rows.append(("retry", record.metadata.retry.rawValue)) }
        if let cost = record.metadata.maxCostUSD { rows.append(("budget", "$" + cost.dollars)) }
        for (key, value) in rows {
            context.terminal.print(key + String(repeating: " ", count: 11 - key.count) + value)
        }
        let changed = (try? workspace.change(of: record.id, paths: [], format: .nameOnly).isEmpty == false) ?? true
        // The ref whose history holds the attempts: the task's branch, or the remote's copy of it; a merged task's
        // attempts are in HEAD's history, under its merge.
        let graphed: String? = switch try workspace.store.place(of: record.id) {
        case .branch: "aee/\(record.id)"
        case .remote(let remote): "\(remote.escapedForTerminal)/aee/\(record.id)"
        case .merged: nil
        }
        for line in Self.lines(of: story, id: record.id, changed: changed, graphed: graphed) { context.terminal.print(line) }
        return 0
    }

    /// The iterations ended, of the most allowed; one under way, or stopped before its end (an interrupt, a
    /// crash), is the one counted, as `status` and the run's summary count it.
    static func iteration(of record: TaskRecord, story: TaskStory) -> String {
        let of = "of \(record.metadata.maxIterations)"
        guard story.iterations.last.map({ $0.end == nil }) == true else { return "\(record.iteration) \(of)" }
        return "\(record.iteration + 1) \(of), " + (record.state == .running ? "under way" : "stopped before its end")
    }

    /// The iterations, a line each with their work items, what an agent that stopped them said, and their gates
    /// below, then how long the task took and how to see its change (when it made one); nothing for a task that has
    /// not run.
    static func lines(of story: TaskStory, id: TaskID, changed: Bool, graphed: String?) -> [String] {
        guard !story.iterations.isEmpty else { return [] }
        var lines = ["", "iterations"]
        let idWidth = story.iterations.flatMap(\.workItems).map(\.id.count).max() ?? 0
        for iteration in story.iterations {
            guard let end = iteration.end else {
                lines.append("  \(iteration.number)  running")
                continue
            }
            var facts = [end.verdict.replacingUnderscores]
            if let seconds = iteration.seconds { facts.append(StatusCommand.duration(seconds)) }
            facts.append(iteration.costUSD.map { "$" + $0.dollars } ?? "cost unknown")
            lines.append("  \(iteration.number)  " + facts.joined(separator: ", ") + (end.detail.map { ": " + TaskTitle.oneLine($0, limit: 200).escapedForTerminal } ?? ""))
            for attempt in iteration.race?.attempts ?? [] {
                // The items and gates below are the winner's (or, none winning, the first's); the others' work is on their
                // branches (a winner's branch, merged, is gone).
                let place = attempt.attempt == (iteration.race?.winner ?? 1) ? (iteration.race?.winner == nil ? "\(attempt.branch), below" : "merged, below")
                    : attempt.branch
                lines.append("     attempt \(attempt.attempt) \(attempt.outcome.replacingUnderscores)".padding(idWidth + 30)
                             + TaskTitle.oneLine(attempt.agent, limit: 60).escapedForTerminal + "  (\(place.escapedForTerminal))")
            }
            for item in iteration.workItems {
                let files = "\(item.filesChanged) file\(item.filesChanged == 1 ? "" : "s")"
                lines.append("     " + item.id.escapedForTerminal.padding(idWidth + 2) + item.status.replacingUnderscores.padding(11) + files.padding(10)
                             + TaskTitle.oneLine(item.title, limit: 100).escapedForTerminal)
                for (what, paths) in keptOut(item.kept) {
                    lines.append("       " + what + ": " + TaskTitle.oneLine(paths.joined(separator: ", "), limit: 160).escapedForTerminal)
                }
            }
            if let stop = iteration.agentStop {
                let call = stop.workItem.map { "work item " + $0.escapedForTerminal } ?? "plan"
                lines.append("     agent (\(call)) \(stop.report.status.rawValue.replacingUnderscores)" + (stop.report.exitCode.map { ", exit \($0)" } ?? "")
                             + (stop.report.failure.map { ": " + TaskTitle.oneLine($0.message, limit: 160).escapedForTerminal } ?? ""))
                let said = stop.report.outputTail.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }.map(String.init)
                for line in said.suffix(3) { lines.append("       " + TaskTitle.oneLine(line, limit: 160).escapedForTerminal) }
            }
            for gate in iteration.gates {
                let said = gate.firstLine.map { ": " + TaskTitle.oneLine($0, limit: 120).escapedForTerminal } ?? ""
                lines.append("     gate \(gate.name.escapedForTerminal) \(gate.status.replacingUnderscores)" + (gate.exitCode.map { gate.status == "passed" ? "" : " (exit \($0))" } ?? "")
                             + (gate.cached ? " (cached: the same tree passed before)" : "") + said)
            }
        }
        if story.iterations.last?.end == nil, let started = story.started {
            lines += ["", "running    for " + StatusCommand.duration(Timestamp.now.seconds - started.seconds) + " since its first run's start ('git aee status' shows its stage)"]
        } else if let seconds = story.seconds {
            lines += ["", "took       " + StatusCommand.duration(seconds) + " from its first run's start to its last step"]
        }
        let attempts = graphed.map { "'git log --graph \($0)' shows every attempt" }
        lines.append(changed ? "change     git aee diff \(id)" + (attempts.map { " (\($0))" } ?? "")
                     : "change     none outside .aee/" + (attempts.map { " (\($0))" } ?? ""))
        return lines
    }

    /// What was not taken from a work item's agent, a line of paths for each kind, in words for a person.
    static func keptOut(_ kept: TaskStory.KeptOut) -> [(String, [String])] {
        [("refused by commit hook", kept.refusingHooks), ("put back (git aee's records, or files git fsck refuses)", kept.putBack),
         ("undone in its git directory", kept.undone), ("left out (repositories with no commit)", kept.leftOut)].filter { !$0.1.isEmpty }
    }

    /// Where the record shown comes from: its branch, HEAD's history once the branch is gone, or a remote's copy.
    static func branch(of id: TaskID, _ context: Context) throws -> String {
        switch try context.workspace().store.place(of: id) {
        case .branch(nil): "aee/\(id)"
        case .branch(.behind(let remote)):
            "aee/\(id) (behind \(remote.escapedForTerminal)/aee/\(id): 'git aee sync \(remote.escapedForTerminal)' brings it)"
        case .branch(.diverged(let remote)):
            "aee/\(id) (differs from \(remote.escapedForTerminal)/aee/\(id), neither containing the other: 'git aee sync \(remote.escapedForTerminal) --settle' takes \(remote.escapedForTerminal)'s)"
        case .merged: "none (deleted; the record is read from HEAD's history)"
        case .remote(let remote): "\(remote.escapedForTerminal)/aee/\(id) (only on \(remote.escapedForTerminal); 'git aee run \(id) --remote \(remote.escapedForTerminal)' takes it from there)"
        }
    }
}
