import Foundation
import Testing

/// `show` tells a task's story; `diff` shows its change as git would.
@Suite("seeing what a task did: show's story and diff")
struct StoryTests {
    @Test("show of a two-iteration task: each iteration with its work items and gate verdicts, the time taken, how to see the change; --json stays task.json")
    func showTellsTheStory() throws {
        let repo = try calculatorRepository()
        let ran = try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner"))
        #expect(ran.status == 0, "\(ran.stderr)")
        let id = try repo.onlyTaskID()
        let shown = try repo.aee("show", id).stdout
        let lines = shown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let story = Array(lines.drop { $0 != "iterations" })
        #expect(story.first == "iterations", "\(shown)")
        #expect(story.contains { $0.hasPrefix("  1  failed, ") && $0.hasSuffix(", cost unknown: gates tests did not pass") }, "\(shown)")
        #expect(story.contains("     gate tests failed (exit 1): FAIL: ./calc.sh 2 3 printed -1, expected 5"), "\(shown)")
        #expect(story.contains { $0.hasPrefix("  2  passed, ") }, "\(shown)")
        #expect(story.contains("     gate tests passed"), "\(shown)")
        #expect(story.contains { $0.hasPrefix("     fix-add") && $0.contains("done") && $0.contains("1 file ") }, "\(shown)")
        #expect(story.contains { $0.hasPrefix("took       ") }, "\(shown)")
        #expect(story.last { !$0.isEmpty } == "change     git aee diff \(id) ('git log --graph aee/\(id)' shows every attempt)", "\(shown)")
        #expect(try repo.aee("show", id, "--json").stdout == repo.git("show", "aee/\(id):.aee/tasks/\(id)/task.json"))
        // In a clone that has only the remote's copy of the task, the attempts are shown from that copy.
        let clone = repo.root.appendingPathComponent("clone")
        try repo.git("clone", "-q", repo.directory.path, clone.path)
        try repo.run("/usr/bin/git", ["fetch", "-q", "origin", "refs/heads/aee/*:refs/remotes/origin/aee/*"], in: clone)
        let shownThere = try repo.aee("show", id, in: clone).stdout
        #expect(shownThere.hasSuffix("change     git aee diff \(id) ('git log --graph origin/aee/\(id)' shows every attempt)\n"), "\(shownThere)")
        // A task that has not run has no story.
        let draft = try repo.draft("Later")
        #expect(!(try repo.aee("show", draft).stdout.contains("iterations")))
    }

    @Test("show of a task its agent stopped: what the agent said, and no offer of a diff when there is no change")
    func showOfABlockedTask() throws {
        let repo = try calculatorRepository()
        let agent = try repo.agentScript("locked-out", """
            #!/bin/sh
            echo 'Connecting to the model'
            echo 'Error: 401 invalid x-api-key; set ANTHROPIC_API_KEY' >&2
            exit 3
            """)
        #expect(try repo.aee("task", "Make calc add", "--agent", "'\(agent)'").status == 2)
        let id = try repo.onlyTaskID()
        let shown = try repo.aee("show", id).stdout
        #expect(shown.contains("\n     agent (plan) needs human, exit 3\n       Connecting to the model\n       Error: 401 invalid x-api-key; set ANTHROPIC_API_KEY\n"), "\(shown)")
        #expect(shown.hasSuffix("change     none outside .aee/ ('git log --graph aee/\(id)' shows every attempt)\n"), "\(shown)")
    }

    @Test("show and report mark a gate's pass taken from the cache, not run again for a tree that passed before")
    func cachedGateMarked() throws {
        let repo = try calculatorRepository(fixed: true)
        #expect(try repo.aee("gate", "tests").status == 0)
        #expect(try repo.aee("task", "Change nothing", "--agent", try repo.executor("idle", "true")).status == 0)
        let id = try repo.onlyTaskID()
        #expect(try repo.aee("show", id).stdout.contains("\n     gate tests passed (cached: the same tree passed before)\n"))
        #expect(try repo.aee("report", "-o", "-").stdout.contains("gate <code>tests</code>: passed (cached: the same tree passed before)</p>"))
    }

    @Test("diff lists names as git does: quoted beyond ASCII and with quotes (core.quotepath), a file turned into a link as one T (one --stat row); the patch ends a name with a space with a tab")
    func diffNamesAsGitPrintsThem() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.write("link-me.txt", "a file, then a link\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "a file")
        try repo.write("two words.txt", "before\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "a name with a space")
        let agent = try repo.executor("namer", #"rm link-me.txt; ln -s calc.sh link-me.txt; echo x > 'ünï cödé.txt'; echo y > 'say "hi".txt'; echo after >> 'two words.txt'"#)
        #expect(try repo.aee("task", "Names", "--agent", agent).status == 0)
        let id = try repo.onlyTaskID()
        let base = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        // The patch too, where a name with a space ends with a tab (the link's is two changes in git's patch as well).
        for (flags, paths) in [(["--name-only"], [String]()), (["--name-status"], []), (["--stat"], []),
                               ([], ["ünï cödé.txt", #"say "hi".txt"#, "two words.txt"]),
                               (["-c", "core.quotepath=false", "--name-only"], [])] {
            let config = flags.first == "-c" ? Array(flags.prefix(2)) : []
            let options = flags.first == "-c" ? Array(flags.dropFirst(2)) : flags
            let ours = try repo.run("/usr/bin/git", config + ["aee", "diff", id] + options + (paths.isEmpty ? [] : ["--"] + paths),
                                    extraEnvironment: ["PATH": URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path + ":/usr/bin:/bin"])
            let theirs = try repo.run("/usr/bin/git", config + ["diff"] + options + [base, "aee/\(id)", "--"] + (paths.isEmpty ? [".", ":!.aee"] : paths))
            #expect(ours.status == 0 && ours.stdout == theirs.stdout, "diff \(flags): ours\n\(ours.stdout)\(ours.stderr)\ngit's\n\(theirs.stdout)")
        }
    }

    @Test("diff --stat prints what git's does: binary sizes with counts aligned to Bin, graphs scaled to 80 columns, long names cut, renames within a folder and of one, a mode change, an empty file, a name with a line break, a binary file turned into a link, a binary file's mode change")
    func diffStatAsGitPrintsIt() throws {
        let repo = try calculatorRepository(fixed: true)
        let long = String(repeating: "deep/", count: 14) + "a-name-long-enough-to-be-cut.txt"
        try repo.write(long, "one\n")
        try repo.write("src/module/old-name.swift", (1...30).map { "line \($0)\n" }.joined())
        try repo.write("image.png", "\u{0}PNG" + String(repeating: "x", count: 300))
        try repo.write("run.sh", "echo hi\n")
        try repo.write("docs/guide.md", "# A guide\n")
        try repo.write("blob.bin", "\u{0}" + String(repeating: "b", count: 2999))
        try repo.write("mode.bin", "\u{0}" + String(repeating: "m", count: 499))
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "files")
        let agent = try repo.executor("stats", """
            seq 1 400 > many.txt; echo two >> '\(long)'; mv src/module/old-name.swift src/module/new-name.swift
            echo 'line 31' >> src/module/new-name.swift; printf '\\000PNG%0500d' 0 > image.png; printf '\\000new' > new.bin
            chmod +x run.sh; : > empty.txt; mv docs manual; echo x > "$(printf 'new\\nline.txt')"
            rm blob.bin; ln -s target-name blob.bin; chmod +x mode.bin
            """)
        #expect(try repo.aee("task", "Stats", "--agent", agent).status == 0)
        let id = try repo.onlyTaskID()
        let base = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        let ours = try repo.aee("diff", id, "--stat")
        let theirs = try repo.git("diff", "--stat", base, "aee/\(id)", "--", ".", ":!.aee")
        #expect(ours.status == 0 && ours.stdout == theirs, "ours\n\(ours.stdout)\(ours.stderr)\ngit's\n\(theirs)")
        #expect(theirs.contains("Bin 304 -> 504 bytes") && theirs.contains("src/module/{old-name.swift => new-name.swift}")
                && theirs.contains("{docs => manual}/guide.md") && theirs.contains("...") && theirs.contains(#""new\nline.txt""#)
                && theirs.contains("Bin 3000 -> 11 bytes")
                && theirs.split(separator: "\n").contains { $0.hasPrefix(" mode.bin ") && $0.hasSuffix("| Bin") },
                "the cases are there: \(theirs)")
    }

    @Test("diff is what git diff of the base and the task branch prints, without .aee/: the patch, --stat, --name-only, --name-status, paths")
    func diffAsGitPrintsIt() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.write("notes/old.txt", "a note that moves\nwith two lines\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "A note")
        let agent = try repo.executor("edits", "mv notes/old.txt notes/new.txt; seq 1 12 > added.txt; printf '# calc\\n' >> calc.sh")
        #expect(try repo.aee("task", "Tidy up", "--agent", agent).status == 0)
        let id = try repo.onlyTaskID()
        let base = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        for options in [[], ["--stat"], ["--name-only"], ["--name-status"], ["--", "calc.sh"], ["--stat", "notes"]] {
            let ours = try repo.run(Scratch.binary, ["diff", id] + options)
            #expect(ours.status == 0, "\(ours.stderr)")
            let paths = options.filter { !$0.hasPrefix("--") || $0 == "--" }
            let flags = options.filter { $0.hasPrefix("--") && $0 != "--" }
            let theirs = try repo.run("/usr/bin/git", ["diff"] + flags + [base, "aee/\(id)", "--"] + (paths.filter { $0 != "--" }.isEmpty ? [".", ":!.aee"] : paths.filter { $0 != "--" }))
            #expect(ours.stdout == theirs.stdout, "diff \(options): ours\n\(ours.stdout)\ngit's\n\(theirs.stdout)")
        }
        #expect(try repo.aee("diff", id).stdout.contains("rename from notes/old.txt"))
        // As git's settings say, `git -c` included (libgit2 reads no `-c`): no renames, no a/ b/ prefixes.
        for config in [["diff.renames=false"], ["diff.noprefix=true"], ["diff.renames=copies"]] {
            let flags = config.flatMap { ["-c", $0] }
            let ours = try repo.run("/usr/bin/git", flags + ["aee", "diff", id],
                                    extraEnvironment: ["PATH": URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path + ":/usr/bin:/bin"])
            let theirs = try repo.run("/usr/bin/git", flags + ["diff", base, "aee/\(id)", "--", ".", ":!.aee"])
            #expect(ours.status == 0 && ours.stdout == theirs.stdout, "\(config): ours\n\(ours.stdout)\(ours.stderr)\ngit's\n\(theirs.stdout)")
        }
        // On a terminal --stat is coloured as git colours it, counts of different widths right-aligned.
        let paged = repo.root.appendingPathComponent("stat.txt").path
        _ = try repo.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' diff \(id) --stat", "/dev/null"], extraEnvironment: ["GIT_PAGER": "cat > '\(paged)'"])
        let gits = try repo.git("-c", "color.ui=always", "diff", "--stat", base, "aee/\(id)", "--", ".", ":!.aee")
        #expect(try String(contentsOfFile: paged, encoding: .utf8) == gits && gits.contains(" 12 \u{1B}[32m"), "\(gits)")
        // In a subdirectory, paths are read from there, as git reads pathspecs; one outside the tree is refused.
        let notes = repo.directory.appendingPathComponent("notes")
        let top = repo.directory.resolvingSymlinksInPath().path
        for (typed, expected) in [("new.txt", "notes/new.txt\n"), ("../added.txt", "added.txt\n"), (":/calc.sh", "calc.sh\n"), (".", "notes/new.txt\n"),
                                  (":(top)added.txt", "added.txt\n"), (top + "/calc.sh", "calc.sh\n"), ("..", "added.txt\ncalc.sh\nnotes/new.txt\n")] {
            let fromNotes = try repo.aee("diff", id, "--name-only", typed, in: notes)
            #expect(fromNotes.stdout == expected, "\(typed): \(fromNotes.stdout)\(fromNotes.stderr)")
            #expect(fromNotes.stdout == (try repo.run("/usr/bin/git", ["diff", "--name-only", base, "aee/\(id)", "--", typed, ":(top,exclude).aee"], in: notes)).stdout)
        }
        let magic = try repo.aee("diff", id, ":!calc.sh", in: notes)
        #expect(magic.status == 128 && magic.stderr == "fatal: ':!calc.sh': git aee reads paths, ':/path' and ':(top)path', not other pathspec magic\n")
        #expect(try repo.aee("diff", id, "/etc/passwd", in: notes).stderr == "fatal: /etc/passwd: '/etc/passwd' is outside repository at '\(top)'\n")
        let outside = try repo.aee("diff", id, "../../elsewhere", in: notes)
        #expect(outside.status == 128 && outside.stdout.isEmpty)
        #expect(outside.stderr == "fatal: ../../elsewhere: '../../elsewhere' is outside repository at '\(repo.directory.resolvingSymlinksInPath().path)'\n", "\(outside.stderr)")
        let both = try repo.aee("diff", id, "--stat", "--name-only")
        #expect(both.status == 129)
        #expect(both.stderr.hasPrefix("error: --stat cannot be used with --name-only"), "\(both.stderr)")
    }

    @Test("on a terminal, diff goes through the pager git would use (GIT_PAGER, core.pager, PAGER), coloured unless NO_COLOR")
    func diffThroughThePager() throws {
        let repo = try calculatorRepository()
        #expect(try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner")).status == 0)
        let id = try repo.onlyTaskID()
        let paged = repo.root.appendingPathComponent("paged.txt").path
        try repo.git("config", "core.pager", "cat > '\(paged)'")
        // script(1) gives the command a terminal, as a user's shell would.
        let outcome = try repo.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' diff \(id)", "/dev/null"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let colored = try String(contentsOfFile: paged, encoding: .utf8)
        #expect(colored.contains("\u{1B}[32m+echo $(($1 + $2))\u{1B}[m"), "\(colored)")
        try FileManager.default.removeItem(atPath: paged)
        // --stat is coloured exactly as git colours it.
        #expect(try repo.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' diff \(id) --stat", "/dev/null"]).status == 0)
        let base = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        let gits = try repo.git("-c", "color.ui=always", "diff", "--stat", base, "aee/\(id)", "--", ".", ":!.aee")
        #expect(try String(contentsOfFile: paged, encoding: .utf8) == gits && gits.contains("\u{1B}[32m"), "\(gits)")
        try FileManager.default.removeItem(atPath: paged)
        let plain = try repo.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' diff \(id)", "/dev/null"], extraEnvironment: ["NO_COLOR": "1"])
        #expect(plain.status == 0)
        let text = try String(contentsOfFile: paged, encoding: .utf8)
        #expect(text.contains("\n+echo $(($1 + $2))\n") && !text.contains("\u{1B}["), "\(text)")
        // GIT_PAGER comes first, as in git.
        let override = repo.root.appendingPathComponent("override.txt").path
        _ = try repo.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' diff \(id)", "/dev/null"], extraEnvironment: ["GIT_PAGER": "cat > '\(override)'"])
        #expect(FileManager.default.fileExists(atPath: override))
    }
}

extension StoryTests {
    @Test("status --watch: a line per state change when piped; redrawn in place on a terminal; woken by the refs, not a timer")
    func statusWatch() throws {
        let repo = try calculatorRepository(fixed: true)
        let piped = repo.root.appendingPathComponent("watch.txt")
        _ = FileManager.default.createFile(atPath: piped.path, contents: nil)
        let watcher = try repo.start(["status", "--watch"], stdout: try FileHandle(forWritingTo: piped))
        let onTerminal = repo.root.appendingPathComponent("terminal.txt").path
        let terminal = try repo.start(["-qfec", "'\(Scratch.binary)' status --watch", onTerminal], executable: "/usr/bin/script")
        usleep(300_000)
        let id = try repo.aee("task", "Make calc add", "--queue").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // task --queue makes three moves; the watcher may see them one by one or at once.
        #expect(waitUntil(seconds: 10) { (try? String(contentsOf: piped, encoding: .utf8)).map { $0.contains("\(id)  new, ") && $0.contains("QUEUED  Make calc add\n") } == true })
        #expect(try repo.aee("run", id, "--agent", exampleAgent("learner")).status == 0)
        // Each move is seen within the watcher's wake, far less than its 30-second rescan.
        #expect(waitUntil(seconds: 10) { (try? String(contentsOf: piped, encoding: .utf8))?.contains("\(id)  RUNNING -> SUCCEEDED  Make calc add\n") == true })
        #expect(waitUntil(seconds: 10) { (try? String(contentsOfFile: onTerminal, encoding: .utf8))?.contains("\(id)  done, ") == true })
        let drawn = try String(contentsOfFile: onTerminal, encoding: .utf8)
        #expect(drawn.contains("\u{1B}[K") && drawn.contains("F"), "redrawn in place: \(drawn.debugDescription)")
        // Ctrl-C ends it in a shell; the test runner's children inherit SIGINT ignored, so they are killed outright
        // (the one on the terminal by the hang-up when script's terminal closes).
        for process in [watcher, terminal] {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
