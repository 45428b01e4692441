import Foundation
import Testing

@Suite("works wherever git works")
struct RepositoryStateTests {
    @Test("a repository with no commits: the task branch is a root commit")
    func noCommits() throws {
        let repo = try Scratch()
        let id = try repo.draft()
        #expect(try repo.git("rev-list", "--count", "aee/\(id)") == "1\n")
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["base_commit"] is NSNull)
        #expect(try repo.fsckIsClean())
    }

    @Test("--merge on a branch with no commit yet makes the branch at the task's commit, as git merge would")
    func mergeOntoUnbornBranch() throws {
        let repo = try Scratch()
        let agent = try repo.executor("greeter", "echo hello > hello.txt")
        let run = try repo.aee("task", "Say hello", "--agent", agent, "--merge", "--json")
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["base_branch"] as? String == "refs/heads/main")
        #expect(try repo.git("rev-parse", "main") == (try repo.git("rev-parse", "aee/\(id)")))
        #expect(try repo.git("symbolic-ref", "HEAD") == "refs/heads/main\n")
        #expect(try String(contentsOf: repo.directory.appendingPathComponent("hello.txt"), encoding: .utf8) == "hello\n")
        #expect(try repo.git("status", "--porcelain") == "")
        #expect(try repo.fsckIsClean())
    }

    @Test("a detached HEAD: the task starts at that commit and records no branch; --merge is refused before anything runs")
    func detachedHead() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.commitFile("second", "2\n")
        try repo.git("checkout", "-q", "--detach", "HEAD~1")
        let id = try repo.draft()
        let record = try repo.json(try repo.aee("show", id, "--json").stdout)
        #expect(record["base_commit"] as? String == (try repo.git("rev-parse", "HEAD")).trimmingCharacters(in: .newlines))
        #expect(record["base_branch"] is NSNull)
        // --merge has no branch to move: refused before the task exists, not after its run; run <id> --merge the same.
        let refs = try repo.refs()
        let marker = repo.root.appendingPathComponent("agent-ran").path
        let merged = try repo.aee("task", "Merge me", "--agent", "touch '\(marker)'", "--merge")
        #expect(merged.status == 128 && merged.stderr.hasPrefix("fatal: the task would start on a detached HEAD, so --merge has no branch to fast-forward\n"), "\(merged.stderr)")
        #expect(try repo.refs() == refs && !FileManager.default.fileExists(atPath: marker))
        try repo.git("checkout", "-q", "main")
        #expect(try repo.aee("approve", id).status == 0)
        let run = try repo.aee("run", id, "--agent", "touch '\(marker)'", "--merge")
        #expect(run.status == 128 && run.stderr.hasPrefix("fatal: task \(id) started on a detached HEAD, so --merge has no branch to fast-forward\n"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a sparse checkout: no local change is made of the files it leaves out; gate judges the files that are there and files that tree, the hook judges a pushed commit whole; --merge and --here are refused before the run")
    func sparseCheckout() throws {
        let repo = try Scratch()
        try repo.addOrigin()
        try repo.write("in/i.txt", "in\n")
        try repo.write("out/o.txt", "out\n")
        try repo.write(".aee/config.json", #"{"version": 1, "gates": {"whole": {"run": "test -f out/o.txt"}}, "default_gates": ["whole"]}"# + "\n")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "two folders")
        try repo.git("sparse-checkout", "set", "in", ".aee")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("out").path))

        let agent = try repo.executor("outside", "echo more >> out/o.txt")
        let refs = try repo.refs()
        let merged = try repo.aee("task", "Outside the cone", "--agent", agent, "--merge")
        #expect(merged.status == 128, "\(merged.stderr)")
        #expect(merged.stderr.hasPrefix("fatal: --merge would update this working tree, a sparse checkout, which git aee does not update as git does\n"), "\(merged.stderr)")
        #expect(try repo.refs() == refs, "refused before the task exists")
        let task = try repo.aee("task", "Outside the cone", "--agent", agent)
        #expect(task.status == 0 && !task.stderr.contains("local change"), "\(task.stderr)")
        #expect(try repo.git("status", "--porcelain") == "")
        let here = try repo.aee("task", "Here", "--agent", agent, "--here")
        #expect(here.status == 128 && here.stderr.hasPrefix("fatal: --here runs the task in this working tree, a sparse checkout"), "\(here.stderr)")

        // The gate sees no out/ here, and says so under the tree of what is there, not HEAD's.
        let gate = try repo.aee("gate", "--json")
        #expect(gate.status == 1)
        #expect(try repo.json(gate.stdout)["tree"] as? String != (try repo.git("rev-parse", "HEAD^{tree}").trimmingCharacters(in: .newlines)))
        #expect(try repo.aee("hooks", "install").status == 0)
        let pushed = try repo.run("/usr/bin/git", ["push", "-q", "origin", "main"])
        #expect(pushed.status == 0, "the pushed commit, out/ included, passes: \(pushed.stderr)")
    }

    @Test("settings from git config --worktree (extensions.worktreeConfig, which libgit2 does not read) count, above the repository's own")
    func worktreeConfig() throws {
        let repo = try calculatorRepository()
        try repo.git("config", "aee.maxIterations", "3")
        try repo.git("config", "extensions.worktreeConfig", "true")
        try repo.git("config", "--worktree", "aee.maxIterations", "1")
        let run = try repo.aee("task", "Never fixed", "--agent", try repo.executor("idle", "true"), "--json")
        #expect(run.status == 1, "\(run.stderr)")
        #expect(try repo.json(run.stdout)["iteration"] as? Int == 1, "\(run.stdout)")
    }

    @Test("a linked worktree sees and writes the same tasks")
    func linkedWorktree() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let first = try repo.draft("from main")
        let worktree = repo.root.appendingPathComponent("linked tree")
        try repo.git("worktree", "add", "-q", "-b", "side", worktree.path)
        let second = try repo.aee("task", "from the worktree", "--draft", in: worktree).stdout.trimmingCharacters(in: .newlines)
        let listed = try repo.aee("list", in: worktree).stdout
        #expect(listed.contains(first) && listed.contains(second))
        #expect(try repo.json(try repo.aee("show", second, "--json").stdout)["base_branch"] as? String == "refs/heads/side")
        #expect(try repo.fsckIsClean())
    }

    @Test("a subdirectory, a path with spaces, and GIT_DIR from the environment")
    func subdirectoryAndGitDir() throws {
        let repo = try Scratch("repo with spaces")
        try repo.commitFile("src/deep/file.txt", "x\n")
        let id = try repo.aee("task", "from a subdirectory", "--draft", in: repo.directory.appendingPathComponent("src/deep")).stdout.trimmingCharacters(in: .newlines)
        #expect(id.count == 8)
        // git --git-dir=... aee list reaches us as GIT_DIR.
        let outside = try repo.aee("list", in: repo.root, environment: ["GIT_DIR": repo.directory.appendingPathComponent(".git").path])
        #expect(outside.status == 0)
        #expect(outside.stdout.contains(id))
        let viaGit = try repo.run("/usr/bin/git", ["--git-dir=\(repo.directory.path)/.git", "aee", "list"], in: repo.root,
                                  extraEnvironment: ["PATH": URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path + ":" + repo.environment["PATH"]!])
        #expect(viaGit.stdout.contains(id))
    }

    @Test("a bare repository: reading works, creating a task needs a work tree")
    func bareRepository() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let id = try repo.draft()
        let bare = repo.root.appendingPathComponent("bare.git")
        try repo.git("clone", "-q", "--bare", repo.directory.path, bare.path)
        try repo.git("fetch", "-q", repo.directory.path, "refs/heads/aee/*:refs/heads/aee/*", in: bare)
        #expect(try repo.aee("list", in: bare).stdout.contains(id))
        let outcome = try repo.aee("task", "x", "--draft", in: bare)
        #expect(outcome.status == 128)
        #expect(outcome.stderr == "fatal: git aee task must be run in a work tree\n")
    }

    @Test("a repository of another user gets git's dubious-ownership line and its safe.directory way out",
          .enabled(if: geteuid() == 0, "needs root to give the repository away"))
    func dubiousOwnership() throws {
        let repo = try Scratch()
        try repo.commitFile()
        // Given to nobody, as a repository on a shared disk or another account's checkout is.
        try repo.run("/bin/chown", ["-R", "nobody", repo.directory.path])
        let refused = try repo.aee("list")
        #expect(refused.status == 128)
        #expect(refused.stderr == """
            fatal: detected dubious ownership in repository at '\(repo.directory.path)'
            hint: it belongs to another user; to trust it as git does: git config --global --add safe.directory '\(repo.directory.path)'

            """, "\(refused.stderr)")
        // Git's own answer is the same, and so is the way out.
        #expect(try repo.run("/usr/bin/git", ["status"]).stderr.contains("detected dubious ownership"))
        try repo.git("config", "--global", "--add", "safe.directory", repo.directory.path, in: repo.root)
        #expect(try repo.aee("list").status == 0)
    }

    @Test("a SHA-256 repository is one clear line, not libgit2's")
    func sha256() throws {
        let repo = try Scratch(initialize: false)
        try repo.git("init", "-q", "--object-format=sha256")
        let outcome = try repo.aee("list")
        #expect(outcome.status == 128)
        #expect(outcome.stderr == "fatal: the repository uses SHA-256 object names, which git aee cannot read yet (its libgit2 reads SHA-1 repositories only)\n")
    }

    @Test("a repository that names its object format SHA-1 (git init --object-format=sha1, format version 1) is read as any other")
    func namedSHA1() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.git("config", "core.repositoryformatversion", "1")
        try repo.git("config", "extensions.objectFormat", "sha1")
        let outcome = try repo.aee("task", "Works", "--agent", "true")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(try repo.aee("list").stdout.contains("SUCCEEDED"))
        #expect(try repo.fsckIsClean())
    }

    @Test("a dotfiles set-up: git --git-dir=<bare> --work-tree=<dir> aee works, gates and hook included")
    func separateWorkTree() throws {
        let scratch = try Scratch("home", initialize: false)
        let bare = scratch.root.appendingPathComponent("dotfiles.git").path
        try scratch.git("init", "-q", "--bare", bare)
        scratch.environment["PATH"] = URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path + ":" + scratch.environment["PATH"]!
        let dotfiles = ["--git-dir=\(bare)", "--work-tree=\(scratch.directory.path)"]
        func git(_ arguments: String...) throws -> Outcome { try scratch.run("/usr/bin/git", dotfiles + arguments) }
        try scratch.write(".bashrc", "export EDITOR=vi\n")
        try scratch.write(".aee/config.json", #"{"version": 1, "gates": {"rc": {"run": "grep -q EDITOR .bashrc"}}, "default_gates": ["rc"]}"# + "\n")
        #expect(try git("add", ".bashrc", ".aee/config.json").status == 0)
        #expect(try git("commit", "-q", "-m", "dotfiles").status == 0)
        let gate = try git("aee", "gate")
        #expect(gate.status == 0, "\(gate.stderr)")
        #expect(gate.stdout.contains("rc"), "\(gate.stdout)")
        let draft = try git("aee", "task", "Tidy .bashrc", "--draft")
        #expect(draft.status == 0, "\(draft.stderr)")
        #expect(try git("aee", "list").stdout.contains(draft.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        // With the hook installed in the bare repository, a push is judged.
        #expect(try git("aee", "hooks", "install").status == 0)
        let remote = scratch.root.appendingPathComponent("remote.git").path
        try scratch.git("init", "-q", "--bare", remote)
        let pushed = try git("push", "-q", remote, "HEAD:main")
        #expect(pushed.status == 0, "\(pushed.stderr)")
        try scratch.write(".bashrc", "# emptied\n")
        #expect(try git("commit", "-qam", "breaks the gate").status == 0)
        let refused = try git("push", "-q", remote, "HEAD:main")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("did not pass: rc"), "\(refused.stderr)")
    }
}
