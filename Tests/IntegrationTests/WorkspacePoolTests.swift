import Foundation
import Testing

@Suite("workspaces kept warm for the next task")
struct WorkspacePoolTests {
    /// An agent that writes where it works (`<marks>/<name>.pwd`), the inode of that folder (the same folder moved keeps
    /// it), whether its git directory holds a `pool-marker` (`pooled` or `new`), every file there but `.git` and what
    /// `git status --ignored` says, then fixes the calculator.
    func recorder(_ repo: Scratch, _ name: String, extra: String = "") throws -> String {
        let marks = repo.root.path
        return try repo.executor(name, """
            pwd > '\(marks)/\(name).pwd'
            stat -c %i . > '\(marks)/\(name).inode'
            if [ -e "$(git rev-parse --git-dir)/pool-marker" ]; then echo pooled; else echo new; fi > '\(marks)/\(name).made'
            find . -path ./.git -prune -o -type f -print | sort > '\(marks)/\(name).files'
            git status --porcelain --ignored --untracked-files=all > '\(marks)/\(name).status'
            \(extra)
            \(fixCalculator)
            """)
    }

    /// The pooled workspaces of the scratch repository's folder of workspaces.
    func pooled(_ repo: Scratch) throws -> [String] {
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first)
        let path = repo.workspaceRoot + "/" + folder
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix(".pool-") }
            .filter { FileManager.default.fileExists(atPath: path + "/.state/" + $0 + "/ready") }.sorted()
    }

    @Test("the next task takes the last one's workspace and gets exactly its own base tree: nothing tracked, untracked or ignored of the last task's")
    func handedOver() throws {
        let repo = try calculatorRepository(gates: #""tests": {"run": "./test.sh && echo built > gate.log && mkdir -p cache && echo x > cache/left && git init -q nested"}"#)
        try repo.write(".gitignore", "*.log\n")
        try repo.write("notes/old.txt", "only in the first task's base\n")
        try repo.write("shape/inner.txt", "a folder in the first task's base\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "ignore logs")
        let first = try recorder(repo, "first", extra: "echo secret-ish > agent.log; echo new > added.txt")
        let (firstID, _) = try repo.succeed(agent: first)
        #expect(try pooled(repo) == [".pool-1"], "a succeeded task's workspace goes to the pool")

        // The second task starts from another commit: a file removed, one changed, a folder turned into a file.
        try repo.git("rm", "-q", "notes/old.txt")
        try repo.git("rm", "-q", "-r", "shape")
        try repo.write("shape", "a file in the second task's base\n")
        try repo.write("README", "second base\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "second base")
        let (secondID, _) = try repo.succeed(agent: try recorder(repo, "second"))
        #expect(try repo.mark("second.inode") == repo.mark("first.inode"), "the pooled workspace was taken")
        #expect(try repo.mark("second.pwd").hasSuffix("/\(secondID)"))
        #expect(try repo.mark("first.pwd").hasSuffix("/\(firstID)"))
        let tracked = try repo.git("ls-tree", "-r", "--name-only", "HEAD").split(separator: "\n").map { "./" + $0 }.sorted()
        let files = try repo.mark("second.files").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("./.aee/tasks/") }
        #expect(files == tracked, "\(files)")
        let status = try repo.mark("second.status")
        #expect(status == "", "no untracked or ignored file of the first task's: \(status)")
        #expect(try repo.fsckIsClean())
    }

    @Test("a file the last task turned into a link is a file again for the next: nothing is written through the link, outside the workspace or in it")
    func linkLeftInThePool() throws {
        let repo = try calculatorRepository()
        try repo.write("notes.txt", "tracked\n")
        try repo.write("other.txt", "the other file\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "notes")
        let victim = repo.root.appendingPathComponent("victim.txt").path
        try Data("outside the repository\n".utf8).write(to: URL(fileURLWithPath: victim))
        let linker = try repo.executor("linker", "rm notes.txt other.txt && ln -s '\(victim)' notes.txt && ln -s notes.txt other.txt; \(fixCalculator)")
        _ = try repo.succeed(agent: linker)
        #expect(try pooled(repo) == [".pool-1"])

        let (id, _) = try repo.succeed(agent: try recorder(repo, "reader"))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "outside the repository\n", "written through the link")
        #expect(try repo.mark("reader.status") == "", "the next task starts from its base exactly")
        #expect(try repo.git("diff", "--name-only", "main", "aee/\(id)", "--", "notes.txt", "other.txt") == "")
    }

    @Test("tasks running at once never share a workspace; with no room in the pool a workspace is removed")
    func concurrentTasks() throws {
        let repo = try calculatorRepository()
        try repo.git("config", "aee.workspacePool", "1")
        _ = try repo.succeed(agent: try recorder(repo, "warm"))
        #expect(try pooled(repo) == [".pool-1"])
        let marks = repo.root.path
        let ids = try (1...3).map { n in
            let agent = try repo.executor("at-once-\(n)", """
                stat -c %i . > '\(marks)/at-once-\(n).inode'
                sleep 1
                \(fixCalculator)
                """)
            return (try repo.draft("Fix it \(n)"), agent)
        }
        for (id, _) in ids { #expect(try repo.aee("approve", id).status == 0) }
        let runs = try ids.map { id, agent in try repo.start(["run", id, "--agent", agent]) }
        for run in runs { run.waitUntilExit(); #expect(run.terminationStatus == 0) }
        let inodes = try (1...3).map { try repo.mark("at-once-\($0).inode") }
        #expect(Set(inodes).count == 3, "each task had a workspace of its own: \(inodes)")
        #expect(inodes.contains(try repo.mark("warm.inode")), "one of them took the pooled one")
        #expect(try pooled(repo) == [".pool-1"], "one kept, the others removed")
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first)
        let left = try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot + "/" + folder).filter { !$0.hasPrefix(".") && $0 != "repository" }
        #expect(left.isEmpty, "no task's workspace stays: \(left)")
    }

    @Test("aee.workspacePool=0 keeps none; a value out of range is one clear error")
    func poolSize() throws {
        let repo = try calculatorRepository()
        try repo.git("config", "aee.workspacePool", "0")
        _ = try repo.succeed(agent: try recorder(repo, "cold"))
        #expect(try pooled(repo) == [])
        try repo.git("config", "aee.workspacePool", "99")
        let outcome = try repo.run(Scratch.binary, ["task", "Fix it", "--agent", try recorder(repo, "bad")])
        #expect(outcome.status == 128)
        #expect(outcome.stderr.contains("aee.workspacePool"), "\(outcome.stderr)")
    }

    @Test("a kill -9 while a pooled workspace is moved to a task leaves it made anew, not taken as it was",
          .timeLimit(.minutes(2)))
    func killedWhileMoving() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        try repo.git("config", "aee.workspacePool", "1")
        // A smudge filter that hangs while `<marks>/hang` exists: the move of the pooled workspace writes a.slow
        // through it, and is killed there.
        try repo.git("config", "filter.slow.smudge", "if [ -e '\(marks)/hang' ]; then touch '\(marks)/hung'; while [ -e '\(marks)/hang' ]; do sleep 0.1; done; fi; cat")
        try repo.git("config", "filter.slow.clean", "cat")
        try repo.write(".gitattributes", "*.slow filter=slow\n")
        try repo.write("a.slow", "one\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "slow file")
        _ = try repo.succeed(agent: try recorder(repo, "first", extra: "echo stale > stale.txt"))
        #expect(try pooled(repo) == [".pool-1"])
        // A file git aee never writes in the pooled workspace's git directory: there only if that workspace is taken.
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first)
        FileManager.default.createFile(atPath: "\(repo.workspaceRoot)/\(folder)/.state/.pool-1/git/pool-marker", contents: nil)

        try repo.write("a.slow", "two\n")
        try repo.git("commit", "-q", "-am", "slow file changed")
        let id = try repo.draft("Fix it")
        #expect(try repo.aee("approve", id).status == 0)
        FileManager.default.createFile(atPath: marks + "/hang", contents: nil)
        let run = try repo.start(["run", id, "--agent", try recorder(repo, "second")])
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/hung") })
        kill(run.processIdentifier, SIGKILL)
        // The filter outlives the killed run (as anything it started would), holding what it inherited: let it end.
        try FileManager.default.removeItem(atPath: marks + "/hang")
        run.waitUntilExit()
        #expect(try pooled(repo) == [], "the workspace was on its way to the task")

        let resumed = try repo.aee("resume", id)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // (Not by inode: the folder made anew may get the one the removed folder freed.)
        #expect(try repo.mark("second.made") == "new", "the half-moved workspace was made anew")
        let tracked = try repo.git("ls-tree", "-r", "--name-only", "HEAD").split(separator: "\n").map { "./" + $0 }.sorted()
        let files = try repo.mark("second.files").split(separator: "\n").map(String.init).filter { !$0.hasPrefix("./.aee/tasks/") }
        #expect(files == tracked, "\(files)")
        #expect(try repo.git("show", "aee/\(id):a.slow") == "two\n")
        #expect(try repo.fsckIsClean())
    }
}

@Suite("links an agent puts where git aee keeps its files beside the checkout")
struct PlantedLinkTests {
    /// What the agent does first (`$S` is git aee's state folder for the workspace, `$U` the user's git directory as
    /// the alternates name it, `$C` the folder of the call's files); the calculator is fixed on its second call.
    static let plants = [
        "pool": #"cp -a "$S" ../.state/.pool-1 && ln -s "$(dirname "$U")" ../.pool-1; cp -a "$S" ../.state/.pool-2 && ln -s "$U" ../.pool-2"#,
        "state": #"mv "$S" "$S.moved" && ln -s "$U" "$S""#,
        "git directory": #"mv "$S/git" "$S/git.moved" && ln -s "$U" "$S/git""#,
        "index": #"rm -f "$S/index" && ln -s "$U/index" "$S/index""#,
        "baseline": #"rm -rf "$S/baseline" && ln -s "$U" "$S/baseline""#,
        "calls": #"rm -rf "$C" && ln -s "$(dirname "$U")" "$C""#,
        "hard link": #"rm -f "$C/prompt.txt" "$C/task.json" && ln "$(dirname "$U")/draft.txt" "$C/prompt.txt" && ln "$U/config" "$C/task.json""#,
    ]

    @Test("nothing is written or removed through them: the user's files, index, config, HEAD, hooks and refs stay as they were, and the next task runs",
          arguments: plants.keys.sorted())
    func nothingThroughPlantedLinks(plant: String) throws {
        let repo = try calculatorRepository()
        try repo.write("draft.txt", "my unsaved work\n")
        try repo.write("staged.txt", "staged\n")
        try repo.git("add", "staged.txt")
        let gitDirectory = repo.directory.path + "/.git"
        func looks() throws -> [String] {
            let hooks = try FileManager.default.contentsOfDirectory(atPath: gitDirectory + "/hooks").sorted().joined(separator: " ")
            return [try repo.git("status", "--porcelain", "--untracked-files=all"), try repo.git("diff", "--cached"), hooks,
                    try String(contentsOfFile: gitDirectory + "/HEAD", encoding: .utf8),
                    try String(contentsOfFile: repo.directory.path + "/draft.txt", encoding: .utf8),
                    try repo.git("rev-parse", "refs/heads/main")]
        }
        let config = { try String(contentsOfFile: gitDirectory + "/config", encoding: .utf8).split(separator: "\n").filter { !$0.contains("trusted") && $0 != "[aee]" } }
        let before = try looks()
        let configBefore = try config()
        let agent = try repo.executor("planter", """
            S="../.state/$AEE_TASK_ID"; C="$(dirname "$AEE_TASK_FILE")"
            U="$(sed 's#/objects$##' "$S/git/objects/info/alternates")"
            if [ ! -e '\(repo.root.path)/home/planted' ]; then
              touch '\(repo.root.path)/home/planted'
              \(Self.plants[plant]!)
              exit 0
            fi
            \(fixCalculator)
            """)
        let first = try repo.aee("task", "Plant", "--agent", agent)
        #expect(first.status == 0 || first.status == 1 || first.status == 2, "\(first.stderr)")
        let next = try repo.aee("task", "Next", "--agent", try repo.executor("plain", fixCalculator))
        #expect(next.status == 0, "\(next.stderr)")
        let after = try looks()
        let names = ["status", "staged", "hooks", "HEAD", "draft.txt", "refs"]
        for (index, name) in names.enumerated() { #expect(after[index] == before[index], "\(name) changed: \(after[index])") }
        let configAfter = try config()
        #expect(configAfter == configBefore, "\(configAfter)")
        #expect(try repo.fsckIsClean())
    }
}
