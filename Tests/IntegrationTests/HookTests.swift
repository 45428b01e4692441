import Foundation
import Testing

@Suite("the pre-push hook, with real pushes to a bare remote")
struct HookTests {
    /// A repository with a bare `origin`, a gate `check` that fails when a file FAIL exists and counts its runs
    /// in `counter`, and the hook installed; PATH finds this build's git-aee.
    func pushable(counter: String) throws -> Scratch {
        let repo = try Scratch()
        try repo.addOrigin()
        try repo.write(".aee/config.json", #"{"version": 1, "gates": {"check": {"run": "echo run >> \#(counter); test ! -e FAIL"}}, "default_gates": ["check"]}"# + "\n")
        try repo.git("add", ".aee/config.json")
        try repo.git("commit", "-q", "-m", "config")
        #expect(try repo.aee("hooks", "install").status == 0)
        return repo
    }

    func push(_ repo: Scratch, _ refspec: String = "HEAD:main", environment: [String: String] = [:]) throws -> Outcome {
        try repo.run("/usr/bin/git", ["push", "-q", "origin", refspec], extraEnvironment: environment)
    }

    func remoteHead(_ repo: Scratch, _ branch: String = "main") throws -> String? {
        let outcome = try repo.run("/usr/bin/git", ["--git-dir", repo.root.appendingPathComponent("origin.git").path, "rev-parse", "--verify", "-q", branch])
        return outcome.status == 0 ? outcome.stdout : nil
    }

    func counted(_ counter: String) -> Int {
        (try? String(contentsOfFile: counter, encoding: .utf8))?.split(separator: "\n").count ?? 0
    }

    func counterPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("aee-hook-count-\(UUID().uuidString)").path
    }

    @Test("a passing tree pushes; the same tree pushed again is not judged again")
    func passAndCache() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        #expect(try push(repo).status == 0)
        #expect(counted(counter) == 1)
        #expect(try push(repo, "HEAD:copy").status == 0)
        #expect(counted(counter) == 1)
        #expect(try remoteHead(repo, "copy") != nil)
    }

    @Test("a failing gate stops the push and leaves the remote unchanged")
    func failureBlocks() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        #expect(try push(repo).status == 0)
        let before = try remoteHead(repo)
        try repo.write("FAIL", "x\n")
        try repo.git("add", "FAIL")
        try repo.git("commit", "-q", "-m", "breaks the gate")
        let outcome = try push(repo)
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("did not pass: check"))
        #expect(outcome.stderr.contains("error: push stopped by git aee's gates"))
        #expect(try remoteHead(repo) == before)
        // --no-verify skips it, as git does; so does AEE_SKIP_GATES=1, with a warning.
        let skipped = try push(repo, environment: ["AEE_SKIP_GATES": "1"])
        #expect(skipped.status == 0)
        #expect(skipped.stderr.contains("warning: AEE_SKIP_GATES=1"))
    }

    @Test("the pushed commit is judged, not the working tree")
    func judgesPushedCommit() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        // The commit is good; the working tree holds an untracked FAIL that the push does not carry.
        try repo.write("FAIL", "not committed\n")
        #expect(try push(repo).status == 0)
        // The commit is bad; the working tree no longer holds FAIL.
        try repo.git("add", "FAIL")
        try repo.git("commit", "-q", "-m", "bad")
        try repo.git("rm", "-q", "--cached", "FAIL")
        try FileManager.default.removeItem(at: repo.directory.appendingPathComponent("FAIL"))
        #expect(try push(repo).status != 0)
        #expect(try repo.fsckIsClean())
    }

    @Test("each pushed commit is judged by its own .aee/config.json, whatever branch is checked out")
    func judgesWithThePushedCommitsConfig() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        try repo.write("FAIL", "x\n")
        try repo.git("add", "FAIL")
        try repo.git("commit", "-q", "-m", "breaks the gate")
        // Checked out on a branch with no config at all (a gh-pages), the user pushes main.
        try repo.git("checkout", "-q", "--orphan", "pages")
        try repo.git("rm", "-rq", "--cached", ".")
        try repo.git("clean", "-qfdx")
        try repo.commitFile("index.html", "<p>docs</p>\n")
        let outcome = try push(repo, "main:main")
        #expect(outcome.status != 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("did not pass: check"))
        #expect(try remoteHead(repo) == nil)
        // The branch without a config pushes with the gates its commit names: none of the team's.
        #expect(try push(repo, "pages:pages").status == 0)
    }

    @Test("git aee's task branches, --all and --mirror go through: a task branch holds the failing code it was judged on")
    func taskBranchesAreNotGated() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        #expect(try push(repo).status == 0)
        // A task that failed: its branch holds FAIL, as its gate found it.
        let agent = try repo.executor("breaks", "echo x > FAIL")
        #expect(try repo.aee("task", "Break it", "--agent", agent, "--max-iterations", "1").status == 1)
        let id = try repo.onlyTaskID()
        let shared = try push(repo, "aee/\(id)")
        #expect(shared.status == 0, "\(shared.stderr)")
        #expect(shared.stderr.contains("git aee: not gated: aee/\(id)"), "\(shared.stderr)")
        #expect(try remoteHead(repo, "aee/\(id)") != nil)
        let all = try repo.run("/usr/bin/git", ["push", "-q", "--all", "origin"])
        #expect(all.status == 0, "\(all.stderr)")
        let mirror = try repo.run("/usr/bin/git", ["push", "-q", "--mirror", "origin"])
        #expect(mirror.status == 0, "\(mirror.stderr)")
    }

    @Test("a hook the repository tracks (core.hooksPath=.husky) is not changed without --force, and then it says so")
    func trackedHooksDirectory() throws {
        let repo = try Scratch()
        try repo.write(".husky/pre-push", "#!/bin/sh\nnpm test\n")
        try repo.git("add", ".husky/pre-push")
        try repo.git("commit", "-q", "-m", "husky")
        try repo.git("config", "core.hooksPath", ".husky")
        let refused = try repo.aee("hooks", "install")
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: '.husky/pre-push' is tracked in this repository (core.hooksPath): installing would change the team's file\nhint: "), "\(refused.stderr)")
        #expect(try repo.git("status", "--porcelain") == "")
        let forced = try repo.aee("hooks", "install", "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("pre-push.aee-chained"))
        #expect(try repo.aee("hooks", "uninstall").status == 0)
        #expect(try repo.git("status", "--porcelain") == "")
    }

    /// husky 9.1's own files, as `npx husky init` writes them (npm's registry is out of reach here): `.husky/_/h`
    /// runs `.husky/<the hook's own name>`.
    static let huskyDispatcher = """
        #!/usr/bin/env sh
        [ "$HUSKY" = "2" ] && set -x
        n=$(basename "$0")
        s=$(dirname "$(dirname "$0")")/$n

        [ ! -f "$s" ] && exit 0

        i="${XDG_CONFIG_HOME:-$HOME/.config}/husky/init.sh"
        [ -f "$i" ] && . "$i"

        [ "${HUSKY-}" = "0" ] && exit 0

        export PATH="node_modules/.bin:$PATH"
        sh -e "$s" "$@"
        c=$?

        [ $c != 0 ] && echo "husky - $n script failed (code $c)"
        [ $c = 127 ] && echo "husky - command not found in PATH=$PATH"
        exit $c

        """

    @Test("husky 9: its hook finds the team's script by its own name, so it is not renamed aside (it would run nothing); the way to call git aee is said")
    func huskyNotBroken() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        #expect(try repo.aee("hooks", "uninstall").status == 0)
        try repo.write(".husky/_/h", Self.huskyDispatcher)
        try repo.write(".husky/_/pre-push", "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n")
        try repo.write(".husky/_/.gitignore", "*\n")
        try repo.write(".husky/pre-push", "echo husky ran >&2\n[ -z \"$VETO\" ]\n")
        for file in ["h", "pre-push"] { chmod(repo.directory.appendingPathComponent(".husky/_/" + file).path, 0o755) }
        try repo.git("add", ".husky")
        try repo.git("commit", "-q", "-m", "husky")
        try repo.git("config", "core.hooksPath", ".husky/_")

        let refused = try repo.aee("hooks", "install")
        #expect(refused.status == 128)
        #expect(refused.stderr.contains("finds what it runs by its own name (as husky's hooks do)") && refused.stderr.contains("hint: call 'git aee hook pre-push"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(".husky/_/pre-push.aee-chained").path))
        let vetoed = try push(repo, environment: ["VETO": "1"])
        #expect(vetoed.status != 0 && vetoed.stderr.contains("husky ran"), "husky's hook still runs and vetoes: \(vetoed.stderr)")

        // As the hint says: the team's script calls git aee, and the gates then judge the push.
        try repo.write(".husky/pre-push", "echo husky ran >&2\n[ -z \"$VETO\" ]\ngit aee hook pre-push \"$@\"\n")
        try repo.write("FAIL", "")
        try repo.git("add", "-A")
        try repo.git("commit", "-q", "-m", "fails")
        let gated = try push(repo)
        #expect(gated.status != 0 && gated.stderr.contains("push stopped by git aee's gates"), "\(gated.stderr)")
    }

    @Test("a hook that sources a library beside it (not its own name) is chained, and still runs")
    func libraryHookChained() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.write(".git/hooks/lib.sh", "say() { echo \"$1\" >&2; }\n")
        try repo.write(".git/hooks/pre-push", "#!/bin/sh\n. \"$(dirname \"$0\")/lib.sh\"\nsay from-the-library\n")
        chmod(repo.directory.appendingPathComponent(".git/hooks/pre-push").path, 0o755)
        let install = try repo.aee("hooks", "install")
        #expect(install.status == 0 && install.stdout.contains("pre-push.aee-chained"), "\(install.stderr)")
        let chained = try repo.run(repo.directory.appendingPathComponent(".git/hooks/pre-push.aee-chained").path, [], stdin: "")
        #expect(chained.status == 0 && chained.stderr == "from-the-library\n")
    }

    @Test("an edited copy of git aee's hook is neither replaced nor removed without --force; uninstall with no hook says so")
    func editedHookKept() throws {
        let repo = try Scratch()
        try repo.commitFile()
        #expect(try repo.aee("hooks", "install").status == 0)
        let hook = repo.directory.appendingPathComponent(".git/hooks/pre-push").path
        let edited = try String(contentsOfFile: hook, encoding: .utf8).replacingOccurrences(of: "exec ", with: "echo mine >&2\nexec ")
        try edited.write(toFile: hook, atomically: true, encoding: .utf8)
        for command in ["install", "uninstall"] {
            let refused = try repo.aee("hooks", command)
            #expect(refused.status == 128 && refused.stderr.contains("is git aee's hook but has been edited"), "\(command): \(refused.stderr)")
            #expect(try String(contentsOfFile: hook, encoding: .utf8) == edited, "\(command) kept the edit")
        }
        #expect(try repo.aee("hooks", "uninstall", "--force").status == 0)
        #expect(!FileManager.default.fileExists(atPath: hook))
        let again = try repo.aee("hooks", "uninstall")
        #expect(again.status == 0 && again.stdout.hasPrefix("There is no pre-push hook in "), "\(again.stdout)\(again.stderr)")
    }

    @Test("a pushed commit whose config is not the working tree's: an unapproved gate and a 'needs' loop are named with that commit, and approving it lets the push go")
    func pushedConfigNamed() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        // As a user who approves commands, not CI.
        repo.environment["AEE_TRUST"] = nil
        #expect(try repo.aee("trust").status == 0)
        try repo.git("checkout", "-q", "-b", "stricter")
        try repo.write(".aee/config.json", #"{"version": 1, "gates": {"check": {"run": "true"}, "strict": {"run": "true"}}, "default_gates": ["check", "strict"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "a stricter gate")
        let stricter = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        try repo.git("checkout", "-q", "main")
        let refused = try push(repo, "stricter:stricter")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("fatal: \(stricter.prefix(12)):.aee/config.json asks to run commands you have not approved:"), "\(refused.stderr)")
        #expect(refused.stderr.contains("'git aee trust \(stricter.prefix(12))' approves"), "\(refused.stderr)")
        #expect(try repo.aee("trust", String(stricter.prefix(12))).status == 0)
        #expect(try push(repo, "stricter:stricter").status == 0)

        try repo.git("checkout", "-q", "-b", "loop")
        try repo.write(".aee/config.json", #"{"version": 1, "gates": {"a": {"run": "true", "needs": ["b"]}, "b": {"run": "true", "needs": ["a"]}}, "default_gates": ["a"]}"# + "\n")
        try repo.git("commit", "-q", "-am", "a loop")
        let loop = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        try repo.git("checkout", "-q", "main")
        let looped = try push(repo, "loop:loop")
        #expect(looped.stderr.contains("fatal: \(loop.prefix(12)):.aee/config.json: 'gates': their 'needs' form a loop: "), "\(looped.stderr)")
    }

    /// `pre-commit install --hook-type pre-push` with a pre-push hook of the framework's that counts its runs in `counter`.
    func installPreCommit(_ repo: Scratch, counter: String, commit: Bool = true) throws {
        if commit {
            try repo.write(".pre-commit-config.yaml", """
                repos:
                  - repo: local
                    hooks:
                      - id: count
                        name: count
                        entry: sh -c 'echo run >> \(counter)'
                        language: system
                        stages: [pre-push]
                        always_run: true
                        pass_filenames: false

                """)
            try repo.git("add", ".pre-commit-config.yaml")
            try repo.git("commit", "-q", "-m", "pre-commit config")
        }
        let installed = try repo.run(try #require(TestTools.path(of: "pre-commit")), ["install", "--hook-type", "pre-push"])
        #expect(installed.status == 0, "\(installed.stderr)")
    }

    @Test("beside the real pre-commit framework's pre-push hook, installed before or after ours and again: each runs once per push, the gates still stop a push, and a layout an earlier version left looping is put right",
          .enabled(if: TestTools.path(of: "pre-commit") != nil, "pre-commit is not installed (make test installs it)"))
    func besidePreCommitFramework() throws {
        let (gates, framework) = (counterPath(), counterPath())
        defer { [gates, framework].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let hooks = { (repo: Scratch) in repo.directory.appendingPathComponent(".git/hooks").path + "/" }
        // Ours first: pre-commit chains it as its pre-push.legacy; installing ours again leaves that as it is.
        let repo = try pushable(counter: gates)
        try installPreCommit(repo, counter: framework)
        #expect(try repo.aee("hooks", "install").stdout == "\(hooks(repo))pre-push.legacy is already git aee's hook, which pre-commit's pre-push hook runs first\n")
        try installPreCommit(repo, counter: framework, commit: false)
        #expect(try push(repo).status == 0)
        #expect((counted(gates), counted(framework)) == (1, 1))
        try repo.write("FAIL", "x\n")
        try repo.git("add", "FAIL")
        try repo.git("commit", "-q", "-m", "fails the gate")
        let before = try remoteHead(repo)
        #expect(try push(repo).status != 0)
        #expect(try remoteHead(repo) == before)
        #expect(counted(gates) == 2)
        #expect(try repo.aee("hooks", "uninstall").stdout == "Removed \(hooks(repo))pre-push.legacy\n")
        #expect(!FileManager.default.fileExists(atPath: hooks(repo) + "pre-push.legacy"))
        #expect(try push(repo).status == 0, "pre-commit's hook alone")
        #expect((counted(gates), counted(framework)) == (2, 3))

        // pre-commit's first: ours goes where pre-commit runs it, and pre-commit installed again changes nothing.
        #expect(try repo.aee("hooks", "install").stdout == "Installed \(hooks(repo))pre-push.legacy, which pre-commit's pre-push hook runs first\n")
        try installPreCommit(repo, counter: framework, commit: false)
        try repo.git("rm", "-q", "FAIL")
        try repo.write("passes.txt", "a tree not judged before\n")
        try repo.git("add", "passes.txt")
        try repo.git("commit", "-q", "-m", "passes")
        #expect(try push(repo).status == 0)
        #expect((counted(gates), counted(framework)) == (3, 4))

        // An earlier git aee moved pre-commit's hook aside as its chained one; pre-commit installed again then put ours
        // in its pre-push.legacy, and each ran the other: pre-commit stopped every push. Installing ours puts it right.
        #expect(try repo.aee("hooks", "uninstall").status == 0)
        try FileManager.default.moveItem(atPath: hooks(repo) + "pre-push", toPath: hooks(repo) + "pre-push.aee-chained")
        try FileManager.default.copyItem(atPath: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../hooks/pre-push").path,
                                         toPath: hooks(repo) + "pre-push")
        try installPreCommit(repo, counter: framework, commit: false)
        try repo.write("more.txt", "more\n")
        try repo.git("add", "more.txt")
        try repo.git("commit", "-q", "-m", "more")
        #expect(try push(repo).status != 0, "the loop an earlier version left")
        #expect(try repo.aee("hooks", "install").status == 0)
        #expect(!FileManager.default.fileExists(atPath: hooks(repo) + "pre-push.aee-chained"))
        let (gatesBefore, frameworkBefore) = (counted(gates), counted(framework))
        #expect(try push(repo).status == 0)
        #expect((counted(gates), counted(framework)) == (gatesBefore + 1, frameworkBefore + 1))
    }

    @Test("core.hooksPath from the global config: install says the hook now runs in every repository using it; a SHA-256 one, which git aee cannot read, pushes with a line saying it was not gated")
    func sharedHooksDirectory() throws {
        let repo = try Scratch()
        repo.putOnPath()
        let shared = repo.root.appendingPathComponent("shared-hooks").path
        try repo.git("config", "--global", "core.hooksPath", shared)
        try repo.commitFile()
        let install = try repo.aee("hooks", "install")
        #expect(install.status == 0 && install.stdout == "Installed \(shared)/pre-push\n", "\(install.stdout)")
        #expect(install.stderr.hasPrefix("warning: core.hooksPath comes from your global git config: \(shared)/ holds the hooks of every repository that uses it"), "\(install.stderr)")
        #expect(install.stderr.contains("hint: to guard this repository alone, give it its own: git config core.hooksPath .git/hooks"))

        let other = repo.root.appendingPathComponent("sha256").path, remote = repo.root.appendingPathComponent("sha256.git").path
        for arguments in [["init", "-q", "--object-format=sha256", "-b", "main", other], ["init", "-q", "--bare", "--object-format=sha256", remote],
                          ["-C", other, "commit", "-q", "--allow-empty", "-m", "first"]] {
            #expect(try repo.run("/usr/bin/git", arguments).status == 0)
        }
        let pushed = try repo.run("/usr/bin/git", ["-C", other, "push", "-q", remote, "main"])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stderr.contains("git aee: not gated: the repository uses SHA-256 object names"), "\(pushed.stderr)")

        // Its own core.hooksPath: no word of sharing.
        try repo.git("config", "core.hooksPath", ".git/hooks")
        let own = try repo.aee("hooks", "install")
        #expect(own.status == 0 && own.stderr.isEmpty, "\(own.stderr)")
    }

    @Test("uninstall takes away the hooks folder install made (core.hooksPath naming one that was not there), and leaves one that was")
    func madeFolderGoes() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.git("config", "core.hooksPath", "tools/git/hooks")
        #expect(try repo.aee("hooks", "install").status == 0)
        #expect(FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("tools/git/hooks/pre-push").path))
        #expect(try repo.aee("hooks", "uninstall").status == 0)
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("tools").path), "the folders install made")
        #expect(try repo.git("status", "--porcelain", "--ignored") == "")
        try repo.git("config", "core.hooksPath", ".myhooks")
        let folder = repo.directory.appendingPathComponent(".myhooks").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(try repo.aee("hooks", "install").status == 0)
        #expect(try repo.aee("hooks", "uninstall").status == 0)
        #expect(FileManager.default.fileExists(atPath: folder), "the user's own folder stays")
    }

    @Test("a kill -9 at any step of hooks install or uninstall leaves a pre-push that guards the push (the user's or git aee's), and install run again finishes",
          .enabled(if: TestTools.strace != nil, "strace is not installed (make test installs it) or may not trace"),
          arguments: ["rename", "link", "unlink", "openat"])
    func killedInstall(syscall: String) throws {
        let user = "#!/bin/sh\necho original hook\nexit 1\n"
        for when in 1...4 {
            let repo = try Scratch()
            try repo.git("commit", "-q", "--allow-empty", "-m", "init")
            let hooks = repo.directory.appendingPathComponent(".git/hooks").path
            try user.write(toFile: hooks + "/pre-push", atomically: true, encoding: .utf8)
            chmod(hooks + "/pre-push", 0o755)
            func guarded(_ step: String) {
                let hook = (try? String(contentsOfFile: hooks + "/pre-push", encoding: .utf8)) ?? ""
                let listing = ((try? FileManager.default.contentsOfDirectory(atPath: hooks)) ?? []).sorted()
                #expect(FileManager.default.isExecutableFile(atPath: hooks + "/pre-push") && (hook == user || hook.contains("git aee")),
                        "\(step), killed at \(syscall) #\(when): no hook guards the push: \(listing)")
            }
            _ = try repo.aee(killedAt: syscall, when: when, "hooks", "install")
            guarded("install")
            let again = try repo.aee("hooks", "install")
            #expect(again.status == 0, "\(syscall) #\(when): \(again.stderr)")
            #expect(try String(contentsOfFile: hooks + "/pre-push", encoding: .utf8).contains("git aee"))
            #expect(try String(contentsOfFile: hooks + "/pre-push.aee-chained", encoding: .utf8) == user)
            _ = try repo.aee(killedAt: syscall, when: when, "hooks", "uninstall")
            guarded("uninstall")
            // Run again unless the killed one got to the end.
            if try String(contentsOfFile: hooks + "/pre-push", encoding: .utf8) != user {
                #expect(try repo.aee("hooks", "uninstall").status == 0)
            }
            #expect(try String(contentsOfFile: hooks + "/pre-push", encoding: .utf8) == user)
            let left = try FileManager.default.contentsOfDirectory(atPath: hooks).filter { !$0.hasSuffix(".sample") }
            #expect(left == ["pre-push"], "\(syscall) #\(when): \(left)")
        }
    }

    @Test("a pre-push hook that was there keeps running, first, on the same input")
    func chainsExistingHook() throws {
        let counter = counterPath()
        let seen = counterPath()
        defer { [counter, seen].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let repo = try pushable(counter: counter)
        #expect(try repo.aee("hooks", "uninstall").status == 0)
        let hook = repo.directory.appendingPathComponent(".git/hooks/pre-push").path
        try "#!/bin/sh\ncat >> \(seen)\ntest ! -e VETO\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let install = try repo.aee("hooks", "install")
        #expect(install.stdout.contains("pre-push.aee-chained"))
        #expect(try repo.aee("hooks", "install").stdout.contains("already"))
        #expect(try push(repo).status == 0)
        let head = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .newlines)
        #expect((try? String(contentsOfFile: seen, encoding: .utf8)) == "HEAD \(head) refs/heads/main \(String(repeating: "0", count: 40))\n")
        #expect(counted(counter) == 1)
        // Its veto still stops the push, before the gates run.
        try repo.write("VETO", "x\n")
        try repo.git("add", "VETO")
        try repo.git("commit", "-q", "-m", "veto")
        #expect(try push(repo).status != 0)
        #expect(counted(counter) == 1)
        // With the chained hook passing, a failing gate still stops the push, and the remote stays where it was.
        try repo.git("rm", "-q", "VETO")
        try repo.write("FAIL", "x\n")
        try repo.git("add", "FAIL")
        try repo.git("commit", "-q", "-m", "fails the gate")
        let before = try remoteHead(repo)
        let refused = try push(repo)
        #expect(refused.status != 0, "the gate's verdict was lost behind the chained hook")
        #expect(try remoteHead(repo) == before)
        #expect(counted(counter) == 2)
        // Uninstalling puts it back.
        #expect(try repo.aee("hooks", "uninstall").stdout.contains("back in its place"))
        #expect(try String(contentsOfFile: hook, encoding: .utf8).contains("cat >> \(seen)"))
    }

    @Test("deleting a remote branch is not judged; core.hooksPath is respected; a missing git-aee stops the push")
    func deletionHooksPathAndMissingBinary() throws {
        let counter = counterPath()
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try pushable(counter: counter)
        #expect(try push(repo, "HEAD:doomed").status == 0)
        #expect(try push(repo, ":doomed").status == 0)
        #expect(try remoteHead(repo, "doomed") == nil)

        try repo.git("config", "core.hooksPath", "custom-hooks")
        #expect(try repo.aee("hooks", "install").status == 0)
        #expect(FileManager.default.isExecutableFile(atPath: repo.directory.appendingPathComponent("custom-hooks/pre-push").path))

        let missing = try push(repo, "HEAD:elsewhere", environment: ["PATH": "/usr/bin:/bin"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("git-aee is not on PATH"))
        #expect(try remoteHead(repo, "elsewhere") == nil)
    }

    @Test("hooks/pre-push in the source tree is exactly what install writes")
    func shippedHookMatches() throws {
        let repo = try Scratch()
        #expect(try repo.aee("hooks", "install").status == 0)
        let installed = try Data(contentsOf: repo.directory.appendingPathComponent(".git/hooks/pre-push"))
        let shipped = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../hooks/pre-push"))
        #expect(installed == shipped)
    }
}
