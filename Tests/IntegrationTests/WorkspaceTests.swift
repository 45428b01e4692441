import Foundation
import Testing

/// The sed that fixes the calculator of `calculatorRepository`.
let fixCalculator = #"sed -i 's/\$1 - \$2/$1 + $2/' calc.sh"#

@Suite("the workspace an agent works in")
struct WorkspaceTests {
    /// Whether a small tmpfs can be mounted here, to make file systems that are full, read-only or noexec.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, let scratch = try? Scratch(initialize: false) else { return false }
        let point = scratch.root.appendingPathComponent("probe").path
        guard (try? FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)) != nil,
              (try? scratch.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", point]))?.status == 0 else { return false }
        _ = try? scratch.run("/bin/umount", [point])
        return true
    }()

    @Test("the agent works in a checkout outside .git and the user's tree, with a git repository of its own; it goes when the task succeeds")
    func outsideGit() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        let agent = try repo.executor("where", """
            pwd > '\(marks)/pwd'
            git rev-parse --absolute-git-dir > '\(marks)/gitdir'
            git status --porcelain > '\(marks)/status'
            git symbolic-ref HEAD > '\(marks)/head'
            \(fixCalculator)
            """)
        let before = try repo.userState()
        let (id, _) = try repo.succeed(agent: agent)
        let pwd = try repo.mark("pwd")
        #expect(pwd.hasPrefix(repo.workspaceRoot + "/repo-"), "\(pwd)")
        #expect(pwd.hasSuffix("/\(id)"))
        #expect(!pwd.contains("/.git"), "agents refuse to edit under .git/")
        #expect(try repo.mark("gitdir").hasPrefix(repo.workspaceRoot), "the agent's git must find the workspace's repository")
        #expect(try repo.mark("status") == "", "the agent starts from a clean tree")
        #expect(try repo.mark("head") == "refs/heads/aee/\(id)")
        #expect(try repo.userState() == before)
        #expect(try repo.git("worktree", "list").split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: pwd), "a succeeded task's workspace is removed")
        #expect(try repo.fsckIsClean())
    }

    @Test("a large tree's new workspace, checked out on two threads, is the commit exactly: every file, mode and link, a clean status, and only the agent's file in its commit")
    func largeTreeCheckedOutInTwo() throws {
        let repo = try calculatorRepository()
        // Most files in one directory (which the split opens up), the rest around it; an executable and a link.
        for index in 0..<1_800 { try repo.write("src/main/f\(index).txt", "file \(index)\n") }
        for index in 0..<300 { try repo.write("docs/d\(index).md", "doc \(index)\n") }
        try repo.write("zz/run.sh", "#!/bin/sh\necho run\n")
        _ = try repo.run("/bin/chmod", ["+x", repo.directory.appendingPathComponent("zz/run.sh").path])
        _ = try repo.run("/bin/ln", ["-s", "../docs/d1.md", repo.directory.appendingPathComponent("zz/link").path])
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "a large tree")
        let marks = repo.root.path
        let agent = try repo.executor("look", """
            git status --porcelain > '\(marks)/status'
            git ls-files -s | awk '$4 !~ /^[.]aee[/]/' | sha1sum > '\(marks)/index'
            find . -path ./.git -prune -o -path ./.aee -prune -o \\( -type f -o -type l \\) -print | wc -l > '\(marks)/files'
            stat -c %a zz/run.sh > '\(marks)/mode'
            readlink zz/link > '\(marks)/link'
            echo done > agent.txt
            \(fixCalculator)
            """)
        let (id, _) = try repo.succeed(agent: agent)
        #expect(try repo.mark("status") == "", "the checkout and its index agree")
        // The commit's files, git aee's records left aside: the user's index holds the same.
        let users = try repo.run("/bin/sh", ["-c", "git ls-files -s | awk '$4 !~ /^[.]aee[/]/' | sha1sum"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try repo.mark("index") == users)
        #expect(try repo.mark("files") == (try repo.git("ls-files")).split(separator: "\n").filter { !$0.hasPrefix(".aee/") }.count.description)
        #expect(try repo.mark("mode") == "755")
        #expect(try repo.mark("link") == "../docs/d1.md")
        let changed = try repo.git("diff", "--name-only", "HEAD", "aee/\(id)").split(separator: "\n").filter { !$0.hasPrefix(".aee/") }
        #expect(changed.sorted() == ["agent.txt", "calc.sh"], "\(changed)")
    }

    @Test("what an agent does with git in its workspace never reaches the user's repository: config, global config, hooks, refs, notes")
    func walledOff() throws {
        let repo = try calculatorRepository()
        let other = try repo.draft("Another task")
        let agent = try repo.executor("vandal-git", """
            git config aee.gate.tests.run true
            git config --global aee.gate.tests.run true
            printf '#!/bin/sh\\nexit 0\\n' > "$(git rev-parse --git-path hooks)/pre-push"
            chmod +x "$(git rev-parse --git-path hooks)/pre-push"
            git update-ref refs/heads/main HEAD
            git branch -D aee/\(other) 2>/dev/null
            git notes --ref aee-gates add -m '{"gate":"tests"}' 'HEAD^{tree}'
            exit 0
            """)
        let hooks = try repo.git("rev-parse", "--git-path", "hooks").trimmingCharacters(in: .whitespacesAndNewlines)
        let refsBefore = try repo.refs()
        let run = try repo.aee("task", "Break the judge", "--agent", agent, "--max-iterations", "1", "--json")
        #expect(run.status == 1, "the gate still judges: \(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        #expect(try repo.run("/usr/bin/git", ["config", "--get", "aee.gate.tests.run"]).status == 1)
        #expect(try repo.run("/usr/bin/git", ["config", "--global", "--get", "aee.gate.tests.run"]).status == 1)
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(hooks + "/pre-push").path))
        #expect(try repo.git("branch", "--list", "aee/\(other)").contains("aee/\(other)"))
        #expect(try repo.run("/usr/bin/git", ["notes", "--ref", "aee-gates", "list"]).stdout == "")
        // Every ref the user had is where it was; the task added only its own branches.
        for line in refsBefore.split(separator: "\n") { #expect(try repo.refs().contains(line), "\(line) moved") }
        #expect(try repo.aee("gate", "tests").status == 1, "the user's own gate still fails the tree")

        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        let undone = try #require(item["undone_git_changes"] as? [String])
        for change in ["config: aee.gate.tests.run changed", "global-config: aee.gate.tests.run changed", "hook pre-push written",
                       "ref refs/heads/main written", "ref refs/notes/aee-gates written"] {
            #expect(undone.contains(change), "\(undone)")
        }
        let shown = try repo.aee("show", id).stdout
        #expect(shown.contains("\n       undone in its git directory: ") && shown.contains("config: aee.gate.tests.run changed"), "\(shown)")
        #expect(try repo.fsckIsClean())
    }

    @Test("an agent that removes git aee's baseline folder and puts a FIFO where a git setting was: its config change is still undone and named, and nothing waits on the FIFO")
    func baselineRemovedAndFIFO() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("baseline-remover", """
            gitdir=$(git rev-parse --absolute-git-dir)
            rm -rf "$gitdir/../baseline"
            rm -f "$gitdir/info/exclude" && mkfifo "$gitdir/info/exclude"
            git config aee.gate.tests.run true
            \(fixCalculator)
            """)
        let (id, _) = try repo.succeed(agent: agent)
        let undone = try #require(try repo.artifact(id, "iterations/1/work_item_task.json")["undone_git_changes"] as? [String])
        #expect(undone.contains("config: aee.gate.tests.run changed") && undone.contains("info/exclude changed"), "\(undone)")
        #expect(try repo.run("/usr/bin/git", ["config", "--get", "aee.gate.tests.run"]).status == 1)
        // The next task takes the pooled workspace, its settings written anew.
        let next = try repo.aee("task", "Next", "--agent", try repo.executor("plain", fixCalculator))
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try repo.fsckIsClean())
    }

    @Test("an agent's own commits stay in the task's history with their messages, count in files_changed, and forge nothing")
    func agentCommits() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("committer", """
            \(fixCalculator)
            git commit -q -a -m "Fix the sum" -m "AEE-Task: $AEE_TASK_ID
            AEE-Event: verified"
            """)
        let (id, _) = try repo.succeed(agent: agent)
        let agentCommit = try repo.git("log", "--format=%H", "--grep=^Fix the sum", "aee/\(id)").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(agentCommit.count == 40, "the agent's commit is reachable from the task branch")
        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        #expect(item["files_changed"] as? [String] == ["calc.sh"])
        #expect(item["agent_commits"] as? [String] == [agentCommit])
        let workItemCommit = try repo.git("log", "--format=%H %P", "--grep=^AEE-Work-Item: task", "aee/\(id)").split(separator: " ")
        #expect(workItemCommit.last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) == agentCommit)
        // The forged trailers do not pass for git aee's own record.
        let log = try repo.aee("log", id, "--json")
        #expect(!log.stdout.contains(agentCommit), "\(log.stdout)")
        #expect(try repo.fsckIsClean())
    }

    @Test("an agent's commits that hold a secret, in a file they add and take back or in a message, are not kept: nothing of it reaches the repository")
    func agentCommitsWithASecret() throws {
        let repo = try calculatorRepository()
        let key = "AKIA" + "QWERTYUIOPASDFGH"
        let token = "ghp_" + String(repeating: "x1Y2", count: 9)
        let agent = try repo.executor("leaker", """
            echo 'aws_key = \(key)' > creds.ini && git add creds.ini && git commit -q -m "Add credentials"
            git rm -q creds.ini && git commit -q -m "Rotate \(token)"
            \(fixCalculator)
            git commit -q -a -m "Fix the sum"
            """)
        let (id, _) = try repo.succeed(agent: agent)
        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        #expect(item["agent_commits"] as? [String] == [])
        let undone = try #require(item["undone_git_changes"] as? [String])
        #expect(undone.contains { $0.hasPrefix("the agent's commits were not kept: ") && $0.contains("holds what looks like a secret (") }, "\(undone)")
        // The fix is the work item's commit all the same; the secret is nowhere, not even as a loose object.
        #expect(item["files_changed"] as? [String] == ["calc.sh"])
        #expect(try repo.git("log", "--all", "--format=%B").contains(token) == false)
        #expect(try repo.run("/usr/bin/git", ["log", "--all", "-p"]).stdout.contains(key) == false)
        let blob = try repo.run("/usr/bin/git", ["hash-object", "--stdin"], stdin: "aws_key = \(key)\n").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try repo.run("/usr/bin/git", ["cat-file", "-e", blob]).status != 0, "the secret's blob was copied into the repository")
        #expect(try repo.fsckIsClean())
    }

    @Test("a repository an agent makes in the tree is recorded as git add records it, with its warning; its commits, found nowhere else, keep the workspace")
    func embeddedRepositories() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("nester", """
            git init -q vendor/lib && git -C vendor/lib commit -q --allow-empty -m init
            git init -q vendor/full && echo 'int x;' > vendor/full/x.c && git -C vendor/full add x.c && git -C vendor/full commit -q -m x
            git init -q scratch-repo
            \(fixCalculator)
            """)
        let run = try repo.aee("task", "Vendor a library", "--agent", agent, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        #expect(item["embedded_repositories"] as? [String] == ["vendor/full", "vendor/lib"])
        #expect(item["not_staged"] as? [String] == ["scratch-repo"])
        let full = try repo.git("ls-tree", "aee/\(id)", "vendor/full")
        #expect(full.hasPrefix("160000 commit "))
        #expect(try repo.git("ls-tree", "aee/\(id)", "vendor/lib").hasPrefix("160000 commit "))
        #expect(try repo.git("ls-tree", "aee/\(id)", "scratch-repo") == "")
        #expect(run.stderr.contains("warning: vendor/full is a repository of its own: recorded as a gitlink, its files are not in the commit"), "\(run.stderr)")

        // The gitlinks name commits whose only copy is in the workspace: it is kept, not given to the next task.
        #expect(run.stderr.contains("the repositories made in it vendor/full, vendor/lib hold commits found nowhere else"), "\(run.stderr)")
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first { $0.hasPrefix("repo-") })
        let kept = "\(repo.workspaceRoot)/\(folder)/\(id)/vendor/full"
        let commit = String(full.split(separator: " ")[2].prefix(40))
        _ = try repo.succeed(agent: try repo.executor("next", fixCalculator))
        #expect(try repo.run("/usr/bin/git", ["-C", kept, "cat-file", "-e", commit]).status == 0, "the only copy of the commit survives the next task")
        let prune = try repo.aee("prune", "--dry-run")
        #expect(prune.stdout.contains("keeping workspace \(repo.workspaceRoot)/\(folder)/\(id)/: the repositories made in it"), "\(prune.stdout)")
        #expect(try repo.fsckIsClean())
    }

    @Test("an agent that deletes its workspace fails that call with the reason; the next iteration gets a new workspace and goes on")
    func deletedWorkspace() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("self-destruct", """
            if [ "$AEE_ITERATION" = 1 ]; then rm -rf "$PWD"; exit 0; fi
            \(fixCalculator)
            """)
        let (id, record) = try repo.succeed(agent: agent)
        #expect(record["iteration"] as? Int == 2)
        let first = try #require(try repo.artifact(id, "iterations/1/work_item_task.json")["agent"] as? [String: Any])
        #expect(first["status"] as? String == "failed")
        #expect((first["output_tail"] as? String)?.contains("it was removed while the agent ran") == true)
        #expect(try repo.fsckIsClean())
    }

    @Test("aee.workspaceRoot moves the workspaces; one that cannot be used is one clear error before anything is written")
    func workspaceRoot() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("where", "pwd > '\(repo.root.path)/pwd'\n\(fixCalculator)")
        try repo.git("config", "aee.workspaceRoot", "~/elsewhere")
        #expect(try repo.aee("task", "Fix it", "--agent", agent).status == 0)
        #expect(try repo.mark("pwd").hasPrefix(repo.root.appendingPathComponent("home/elsewhere/repo-").path))

        let refs = try repo.refs()
        try repo.write("a-file", "")
        for (root, message) in [(repo.directory.appendingPathComponent("a-file/below").path, "cannot make a workspace in"),
                                ("relative/path", "aee.workspaceRoot")] {
            try repo.git("config", "aee.workspaceRoot", root)
            let refused = try repo.aee("task", "Fix it", "--agent", agent)
            #expect(refused.status == 128, "\(refused.stderr)")
            #expect(refused.stderr.hasPrefix("fatal: ") && refused.stderr.contains(message), "\(refused.stderr)")
            #expect(try repo.refs() == refs, "nothing may be written")
        }
    }

    @Test("what is committed is what git add -A would stage: nested negations, **, directory patterns, info/exclude")
    func ignoreRulesAsGit() throws {
        let repo = try calculatorRepository()
        try repo.write(".gitignore", "*.cfg\nbuild/\n/root-only.txt\n**/tmp/**\nlogs/*.log\n!logs/keep.log\nsecret/\n")
        try repo.write("conf/.gitignore", "!app.cfg\n")
        try repo.write("deep/.gitignore", "!*.cfg\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "ignore rules")
        try repo.write(".git/info/exclude", "*.local\n")
        let files = ["conf/app.cfg", "conf/other.cfg", "a.cfg", "deep/x/y.cfg", "build/out.o", "sub/build/x", "root-only.txt",
                     "sub/root-only.txt", "a/tmp/b/file", "tmp/file", "logs/a.log", "logs/keep.log", "secret/inner.txt",
                     "secret/.gitignore", "note.local", "newdir/file.txt"]
        let create = files.map { "mkdir -p \"$(dirname '\($0)')\" && echo x > '\($0)'" }.joined(separator: "\n")
            + "\necho '!inner.txt' > secret/.gitignore\n"
        let agent = try repo.executor("many-files", create + "\n" + fixCalculator)
        let (id, _) = try repo.succeed("Make files", agent: agent)
        let committed = try repo.git("ls-tree", "-r", "--name-only", "aee/\(id)").split(separator: "\n").filter { !$0.hasPrefix(".aee/") }

        // The same files in the user's own checkout, staged by git itself.
        try repo.run("/bin/sh", ["-c", create + "\n" + fixCalculator])
        let gate = try repo.aee("gate", "--json", "doctor")
        try repo.git("add", "-A")
        let staged = try repo.git("ls-files").split(separator: "\n").filter { !$0.hasPrefix(".aee/") }
        #expect(committed == staged)
        #expect(committed.contains("conf/app.cfg") && committed.contains("deep/x/y.cfg") && !committed.contains("secret/inner.txt"))
        // `git aee gate` files its verdict under the tree git would write.
        #expect(try repo.json(gate.stdout)["tree"] as? String == (try repo.git("write-tree").trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("gates judge the commit's tree: an ignored file the agent wrote is gone before they run; what the gates left stays")
    func judgedTreeIsCommittedTree() throws {
        // A test runner that skips when a local override exists: the agent's ignored file would make it pass.
        let repo = try calculatorRepository(gates: #""tests": {"run": "mkdir -p build && date >> build/runs; [ -f override.local ] || ./test.sh"}"#)
        try repo.write(".gitignore", "*.local\nbuild/\n")
        try repo.git("add", ".gitignore")
        try repo.git("commit", "-q", "-m", "ignore")
        let marks = repo.root.path
        let agent = try repo.executor("overrider", """
            if [ -z "${AEE_CONTEXT_FILE:-}" ]; then echo skip > override.local; exit 0; fi
            cp build/runs '\(marks)/runs' 2>/dev/null
            \(fixCalculator)
            """)
        let (id, record) = try repo.succeed(agent: agent)
        #expect(record["iteration"] as? Int == 2, "the override made a failing tree pass")
        let verified = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl").split(separator: "\n").map { try repo.json(String($0)) }
            .filter { $0["event"] as? String == "verified" }
        #expect((verified.first?["details"] as? [String: String])?["cleared"] == #"["override.local"]"#)
        #expect(try repo.mark("runs").split(separator: "\n").count == 1, "the gate's own build output stays between iterations")
    }

    @Test("a commit an agent makes in a submodule is recorded and never deleted: the workspace holding it is kept, with a warning")
    func submoduleCommitsKept() throws {
        let repo = try calculatorRepository()
        let origin = repo.root.appendingPathComponent("lib-origin")
        try FileManager.default.createDirectory(at: origin, withIntermediateDirectories: true)
        try repo.git("init", "-q", "-b", "main", in: origin)
        try repo.git("commit", "-q", "--allow-empty", "-m", "lib v1", in: origin)
        try repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", origin.path, "vendor/lib")
        try repo.git("commit", "-q", "-m", "add lib")
        let agent = try repo.executor("bumper", """
            git -c protocol.file.allow=always submodule update -q --init
            (cd vendor/lib && echo 2 > VERSION && git add VERSION && git commit -q -m "lib v2")
            \(fixCalculator)
            """)
        let run = try repo.aee("task", "Bump lib", "--agent", agent, "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let gitlink = try repo.git("ls-tree", "aee/\(id)", "vendor/lib").split(separator: " ")
        #expect(gitlink.first == "160000")
        let bumped = try #require(gitlink.dropFirst(2).first?.split(separator: "\t").first.map(String.init))
        #expect(try repo.run("/usr/bin/git", ["cat-file", "-e", bumped], in: origin).status != 0, "the bump is not in the submodule's origin")
        #expect(run.stderr.contains("warning: the task's workspace") && run.stderr.contains("its submodule vendor/lib holds commits found nowhere else"), "\(run.stderr)")
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).first { $0.hasPrefix("repo-") })
        let kept = "\(repo.workspaceRoot)/\(folder)/\(id)/vendor/lib"
        #expect(run.stderr.contains("\(repo.workspaceRoot)/\(folder)/\(id)/ is kept"))
        #expect(try repo.run("/usr/bin/git", ["-C", kept, "cat-file", "-e", bumped]).status == 0, "the only copy of the commit survives")
    }

    @Test("a run stopped by an error mid-attempt leaves the task BLOCKED; git aee run goes on after the attempt's last commit",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr"), "chattr is not installed"))
    func runContinuesUnfinishedAttempt() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        // The first time, the agent makes the task's record folder immutable, so git aee cannot write its records there.
        let agent = try repo.executor("saboteur", """
            echo "$AEE_ITERATION" >> '\(marks)/calls'
            \(fixCalculator)
            if [ ! -e '\(marks)/once' ]; then touch '\(marks)/once'; chattr +i ".aee/tasks/$AEE_TASK_ID" || exit 9; pwd > '\(marks)/pwd'; fi
            """)
        let first = try repo.aee("task", "Fix it", "--agent", agent, "--json")
        let id = try repo.onlyTaskID()
        let pwd = try repo.mark("pwd")
        defer { _ = try? repo.run("/usr/bin/chattr", ["-i", "\(pwd)/.aee/tasks/\(id)"]) }
        // Its first commits were written, so not 128 ("nothing written"): 2, the task BLOCKED.
        #expect(first.status == 2, "\(first.stderr)")
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "BLOCKED")
        #expect(try repo.git("rev-parse", "--verify", "-q", "aee/\(id)-attempt-1") != "", "the attempt is left on its branch")

        try repo.run("/usr/bin/chattr", ["-i", "\(pwd)/.aee/tasks/\(id)"])
        let again = try repo.aee("run", id, "--json")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try repo.json(again.stdout)["iteration"] as? Int == 1, "the unfinished attempt was finished, not a new one started")
        #expect(try repo.mark("calls").split(separator: "\n") == ["1"], "the committed work item was not done again")
        #expect(try repo.fsckIsClean())
    }

    /// A tmpfs mounted with `options` at `name` beside the repository, made its workspace root; the caller unmounts it.
    func workspaceRootOnTmpfs(_ repo: Scratch, _ name: String, options: String) throws -> String {
        let mountPoint = repo.root.appendingPathComponent(name).path
        try repo.git("config", "aee.workspaceRoot", mountPoint + "/workspaces")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(try repo.run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", mountPoint]).status == 0)
        return mountPoint
    }

    @Test("a workspace root on a full, read-only or noexec file system, or one with less space than a checkout takes, is one clear error before anything is written",
          .enabled(if: WorkspaceTests.canMountTmpfs, "this machine cannot mount a tmpfs (root in a VM or container that allows it)"))
    func unusableFileSystems() throws {
        let repo = try calculatorRepository()
        let refs = try repo.refs()
        for (options, reason) in [("size=512k", "no space left on its file system"), ("ro,size=1m", "the folder cannot be created"),
                                  ("noexec,size=8m", "its file system is mounted noexec")] {
            let mountPoint = try workspaceRootOnTmpfs(repo, "mnt-\(reason.count)", options: options)
            defer { _ = try? repo.run("/bin/umount", [mountPoint]) }
            let refused = try repo.aee("task", "Fix it", "--agent", "true")
            #expect(refused.status == 128)
            #expect(refused.stderr.hasPrefix("fatal: cannot make a workspace in \(mountPoint)/workspaces: \(reason)"), "\(refused.stderr)")
            #expect(try repo.refs() == refs, "nothing may be written")
            #expect(!FileManager.default.fileExists(atPath: mountPoint + "/workspaces"), "no folder either")
        }
        // Space left, but less than a checkout of the repository takes: refused before anything is written too.
        try repo.write("big.bin", String(repeating: "x", count: 3 << 20))
        try repo.git("add", "big.bin")
        try repo.git("commit", "-q", "-m", "A big file")
        let bigRefs = try repo.refs()
        let mountPoint = try workspaceRootOnTmpfs(repo, "mnt-tight", options: "size=2m")
        defer { _ = try? repo.run("/bin/umount", [mountPoint]) }
        let refused = try repo.aee("task", "Fix it", "--agent", "true")
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: cannot make a workspace in \(mountPoint)/workspaces: its file system has "), "\(refused.stderr)")
        #expect(refused.stderr.contains("the run checks this repository out, which takes about 30"), "\(refused.stderr)")
        #expect(try repo.refs() == bigRefs, "nothing may be written")
        #expect(!FileManager.default.fileExists(atPath: mountPoint + "/workspaces"))
        // Room for one checkout: a task's own workspace, kept while it is BLOCKED, is used again, not counted twice.
        let roomy = try workspaceRootOnTmpfs(repo, "mnt-roomy", options: "size=6m")
        defer { _ = try? repo.run("/bin/umount", [roomy]) }
        // Three attempts side by side need three checkouts, more than there is room for: refused, nothing written.
        let attempts = try repo.aee("task", "Three ways", "--agent", "exit 3", "--attempts", "3")
        #expect(attempts.status == 128 && attempts.stderr.contains("3 times over"), "\(attempts.stderr)")
        #expect(try repo.refs() == bigRefs)
        #expect(!FileManager.default.fileExists(atPath: roomy + "/workspaces"))
        let blocked = try repo.aee("task", "Ask me", "--agent", "exit 3")
        #expect(blocked.status == 2, "\(blocked.stderr)")
        let again = try repo.aee("run", try repo.onlyTaskID(), "--agent", "exit 3")
        #expect(again.status == 2 && !again.stderr.contains("takes about"), "\(again.stderr)")
    }

    @Test("a repository whose disk fills during a run: the run stops (exit 2), the agent is not blamed; resume goes on once there is space",
          .enabled(if: WorkspaceTests.canMountTmpfs, "this machine cannot mount a tmpfs (root in a VM or container that allows it)"))
    func repositoryDiskFull() throws {
        let repo = try calculatorRepository()
        // The repository's objects on a small file system of their own.
        let objects = repo.directory.appendingPathComponent(".git/objects").path
        let saved = repo.root.appendingPathComponent("objects-before").path
        try FileManager.default.moveItem(atPath: objects, toPath: saved)
        try FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: true)
        try #require(try repo.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", objects]).status == 0)
        defer { _ = try? repo.run("/bin/umount", ["-l", objects]) }
        try #require(try repo.run("/bin/sh", ["-c", "cp -a '\(saved)'/. '\(objects)'/"]).status == 0)
        // The first call fills that file system (as another program on the machine could), then does its work.
        let agent = try repo.executor("filler", """
            [ -e '\(saved)/filled' ] || { touch '\(saved)/filled'; dd if=/dev/zero of='\(objects)/filler' bs=4k 2>/dev/null; }
            \(fixCalculator)
            """)
        let stopped = try repo.aee("task", "Fix it", "--agent", agent)
        #expect(stopped.status == 2, "\(stopped.stderr)")
        #expect(stopped.stderr.contains("No space left on device") && !stopped.stderr.contains("damaged"), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("hint: the stop could not be recorded either: the task is left RUNNING"), "\(stopped.stderr)")
        let id = try repo.onlyTaskID()
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "RUNNING")

        try FileManager.default.removeItem(atPath: objects + "/filler")
        let resumed = try repo.aee("resume", id, "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "SUCCEEDED")
        #expect(try repo.git("log", "--format=%s", "aee/\(id)").contains("agent_error") == false)
        #expect(try repo.fsckIsClean())
    }

    @Test("a workspace root inside the git directory, or inside the working tree where nothing ignores it, is refused before anything is written; an ignored one is used")
    func rootInsideTheRepository() throws {
        let repo = try calculatorRepository()
        let refs = try repo.refs()
        // A symbolic link into the repository is seen through.
        try FileManager.default.createSymbolicLink(atPath: repo.root.appendingPathComponent("link").path, withDestinationPath: repo.directory.path)
        for (root, reason) in [(repo.directory.path + "/.git/workspaces", "it is inside the repository's git directory"),
                               (repo.root.path + "/link/new/workspaces", "it is inside the repository's working tree")] {
            try repo.git("config", "aee.workspaceRoot", root)
            let refused = try repo.aee("task", "Fix it", "--agent", "true")
            #expect(refused.status == 128)
            #expect(refused.stderr.hasPrefix("fatal: cannot make a workspace in \(root): \(reason)"), "\(refused.stderr)")
            #expect(refused.stderr.contains("hint: choose another place"), "\(refused.stderr)")
            #expect(try repo.refs() == refs, "nothing may be written")
        }
        #expect(!FileManager.default.fileExists(atPath: repo.directory.path + "/new"), "no folder is left in the working tree")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.path + "/.git/workspaces"))
        #expect(try repo.git("status", "--porcelain") == "")

        // Ignored (as a user keeping a cache under their work tree would), git status never shows it: allowed.
        try repo.write(".git/info/exclude", "/cache/\n")
        try repo.git("config", "aee.workspaceRoot", repo.directory.path + "/cache/workspaces")
        let (_, _) = try repo.succeed(agent: try repo.executor("fixer", fixCalculator))
        #expect(FileManager.default.fileExists(atPath: repo.directory.path + "/cache/workspaces"))
        #expect(try repo.git("status", "--porcelain") == "")
    }

    @Test("an agent that points the checkout's .git, or its git directory's commondir, at the user's repository is undone before its next call")
    func gitFileRestored() throws {
        let repo = try calculatorRepository()
        let userGitDirectory = repo.directory.appendingPathComponent(".git").path
        let agent = try repo.agentScript("redirector", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
              echo '{"work_items": [{"id": "one", "title": "Redirect"}, {"id": "two", "title": "Configure"}]}' > "$AEE_OUTPUT_FILE"; exit 0
            fi
            case "$(cat "$AEE_WORK_ITEM_FILE")" in
              *'"one"'*) echo '\(userGitDirectory)' > "$(git rev-parse --git-dir)/commondir"; printf 'gitdir: %s\n' '\(userGitDirectory)' > .git ;;
              *) git config aee.gate.tests.run true; \(fixCalculator) ;;
            esac
            """)
        let (id, _) = try repo.succeed(agent: "'\(agent)'")
        #expect(try repo.run("/usr/bin/git", ["config", "--get", "aee.gate.tests.run"]).status == 1, "the agent reached the user's config")
        #expect(try repo.artifact(id, "iterations/1/work_item_one.json")["undone_git_changes"] as? [String] == ["commondir written", ".git of the checkout changed"])
        #expect(try repo.artifact(id, "iterations/1/work_item_two.json")["undone_git_changes"] as? [String] == ["config: aee.gate.tests.run changed"])
    }

    @Test("an agent commit with missing objects or a tree git fsck refuses is not kept, and the user's repository stays fsck-clean")
    func brokenAgentCommits() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("forger", """
            \(fixCalculator)
            tree=$(printf '100644 blob 1111111111111111111111111111111111111111\\tghost\\n' | git mktree --missing)
            git reset -q --soft "$(git commit-tree -p HEAD -m forged "$tree")"
            """)
        let (id, _) = try repo.succeed(agent: agent)
        let item = try repo.artifact(id, "iterations/1/work_item_task.json")
        #expect(item["agent_commits"] as? [String] == [])
        #expect((item["undone_git_changes"] as? [String])?.contains { $0.hasPrefix("the agent's commits were not kept: object 1111111") } == true, "\(item)")
        #expect(try repo.git("show", "aee/\(id):calc.sh").contains("$1 + $2"), "the change in the checkout is still committed")
        #expect(try repo.fsckIsClean())
    }

    @Test("a pass note an agent writes straight into the user's repository while it runs does not count for its own tree")
    func forgedPassNote() throws {
        let repo = try calculatorRepository(fixed: true)
        // A real pass of the tests gate, to copy: its note names the gate's definition.
        #expect(try repo.aee("gate", "tests").status == 0)
        let passed = try repo.git("rev-parse", "HEAD^{tree}").trimmingCharacters(in: .whitespacesAndNewlines)
        let note = try repo.git("notes", "--ref", "aee-gates", "show", passed).trimmingCharacters(in: .whitespacesAndNewlines)
        let agent = try repo.executor("forger", """
            sed -i 's/$1 + $2/$1 - $2/' calc.sh
            user=$(dirname "$(cat "$(git rev-parse --absolute-git-dir)/objects/info/alternates")")
            git add -A && git rm -r -q --cached .aee/tasks
            git --git-dir="$user" notes --ref aee-gates add -f -m '\(note)' "$(git write-tree)"
            """)
        let run = try repo.aee("task", "Break it quietly", "--agent", agent, "--max-iterations", "1", "--json")
        #expect(run.status == 1, "a forged pass let a failing tree through: \(run.stdout)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let gates = try repo.artifact(id, "iterations/1/gate_results.json")
        #expect((gates["results"] as? [[String: Any]])?.first?["cached"] as? Bool != true)
    }
}

