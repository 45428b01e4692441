import Foundation
import Testing

/// Where `make test` installed the third-party tools the tests drive (`AEE_TEST_TOOLS`), or PATH.
enum TestTools {
    static func path(of tool: String) -> String? {
        let directories = [ProcessInfo.processInfo.environment["AEE_TEST_TOOLS"]].compactMap { $0 }
            + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return directories.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// strace, where it is installed and may trace (a container can forbid ptrace).
    static let strace: String? = {
        guard let strace = path(of: "strace"), let scratch = try? Scratch(initialize: false) else { return nil }
        return (try? scratch.run(strace, ["-o", "/dev/null", "/bin/true"]))?.status == 0 ? strace : nil
    }()
}

extension Scratch {
    /// Runs git-aee with `arguments` and kills it (SIGKILL) at its `when`-th call of `syscall` (on `path` only, when
    /// given), as a crash at that moment would.
    func aee(killedAt syscall: String, when: Int, path: String? = nil, _ arguments: String...) throws -> Outcome {
        let strace = try #require(TestTools.strace)
        return try run(strace, ["-f", "-qq", "-o", "/dev/null", "-e", "trace=\(syscall)", "-e", "inject=\(syscall):signal=KILL:when=\(when)"]
                       + (path.map { ["-P", $0] } ?? []) + [Self.binary] + arguments)
    }
}

/// A token of GitHub's shape, which the redaction knows.
let leakedToken = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"

/// An agent that, without a failure context, fixes the calculator and also writes a secret; with one, only fixes it,
/// and keeps the prompt it read beside the repository (`retry-prompt`).
func secretLeakingAgent(_ repo: Scratch) throws -> String {
    try repo.executor("leaky", """
        \(fixCalculator)
        if [ -z "${AEE_CONTEXT_FILE:-}" ]; then echo 'token = "\(leakedToken)"' > settings.txt; else cat > '\(repo.root.path)/retry-prompt'; fi
        exit 0
        """)
}

@Suite("the repository's commit hooks judge a task's commits")
struct CommitHookTests {
    /// A pre-commit hook that refuses staged files holding a GitHub token, and a commit-msg hook that keeps the message it saw.
    func installHooks(_ repo: Scratch) throws {
        let hooks = repo.directory.appendingPathComponent(".git/hooks").path
        try repo.write(".git/hooks/pre-commit", """
            #!/bin/sh
            for f in $(git diff --cached --name-only); do
                if grep -q ghp_ "$f" 2>/dev/null; then echo "pre-commit: $f holds a secret; refusing"; exit 1; fi
            done

            """)
        try repo.write(".git/hooks/commit-msg", "#!/bin/sh\ncp \"$1\" '\(repo.root.path)/message'\n")
        try repo.run("/bin/chmod", ["+x", hooks + "/pre-commit", hooks + "/commit-msg"])
    }

    /// No commit the task's branches reach holds the secret.
    func secretNowhere(_ repo: Scratch, _ id: String) throws -> Bool {
        let commits = try repo.git("rev-list", "--all").split(separator: "\n").map(String.init)
        return try repo.run("/usr/bin/git", ["grep", "-q", leakedToken] + commits).status == 1
    }

    @Test("a pre-commit refusal fails the work item, commits nothing of the change, and feeds the next iteration like a failed gate")
    func refusal() throws {
        let repo = try calculatorRepository()
        try installHooks(repo)
        let run = try repo.aee("task", "Fix it", "--agent", try secretLeakingAgent(repo), "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try repo.json(run.stdout)["iteration"] as? Int == 2)
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let first = try repo.artifact(id, "iterations/1/work_item_task.json")
        let hooks = try #require(first["commit_hooks"] as? [[String: Any]])
        #expect(hooks.first?["hook"] as? String == "pre-commit")
        #expect(hooks.first?["status"] as? String == "failed")
        #expect((hooks.first?["output_tail"] as? String)?.contains("settings.txt holds a secret") == true)
        let context = try repo.artifact(id, "iterations/1/failure_context.json")
        let failed = try #require(context["failed_gates"] as? [[String: Any]])
        #expect(failed.first?["gate"] as? String == "pre-commit hook")
        // The next call is told what the hook did, in its words.
        let retried = try repo.mark("retry-prompt")
        #expect(retried.contains("The repository's pre-commit hook refused the work item's commit with exit code 1, so its change was not committed."), "\(retried)")
        #expect(retried.contains("settings.txt holds a secret"))
        #expect(try secretNowhere(repo, id), "a refused change reached history")
        // The second iteration's commit passed both hooks; commit-msg saw git aee's message.
        #expect(try repo.mark("message").contains("AEE-Work-Item: task"))
        // The same change committed by hand is refused just the same.
        try repo.write("settings.txt", leakedToken + "\n")
        try repo.git("add", "settings.txt")
        #expect(try repo.run("/usr/bin/git", ["commit", "-q", "-m", "by hand"]).status != 0)
    }

    @Test("aee.commitHooks=false leaves the hooks out")
    func switchedOff() throws {
        let repo = try calculatorRepository()
        try installHooks(repo)
        try repo.git("config", "aee.commitHooks", "false")
        let run = try repo.aee("task", "Fix it", "--agent", try secretLeakingAgent(repo), "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try repo.json(run.stdout)["iteration"] as? Int == 1)
        #expect(!FileManager.default.fileExists(atPath: repo.root.appendingPathComponent("message").path))
    }

    @Test("the real pre-commit framework's commit stage refuses a task's commit as it refuses git commit",
          .enabled(if: TestTools.path(of: "pre-commit") != nil, "pre-commit is not installed (make test installs it)"))
    func preCommitFramework() throws {
        let repo = try calculatorRepository()
        try repo.write(".pre-commit-config.yaml", """
            repos:
              - repo: local
                hooks:
                  - id: no-secrets
                    name: no secrets
                    entry: 'ghp_[A-Za-z0-9]{36}'
                    language: pygrep

            """)
        try repo.git("add", ".pre-commit-config.yaml")
        try repo.git("commit", "-q", "-m", "pre-commit config")
        let preCommit = try #require(TestTools.path(of: "pre-commit"))
        let installed = try repo.run(preCommit, ["install"])
        #expect(installed.status == 0, "\(installed.stderr)")
        let run = try repo.aee("task", "Fix it", "--agent", try secretLeakingAgent(repo), "--json")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try repo.json(run.stdout)["iteration"] as? Int == 2)
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let hooks = try #require(try repo.artifact(id, "iterations/1/work_item_task.json")["commit_hooks"] as? [[String: Any]])
        #expect(hooks.first?["status"] as? String == "failed")
        #expect((hooks.first?["output_tail"] as? String)?.contains("no secrets") == true, "\(hooks)")
        #expect(try secretNowhere(repo, id))
    }

    @Test("what an agent prints is redacted before it is committed: a secret from the environment and a known token shape")
    func redactedOutput() throws {
        let repo = try calculatorRepository()
        let key = "sk-ant-api03-" + String(repeating: "x", count: 40)
        let agent = try repo.executor("chatty", """
            echo "using key $MY_SERVICE_PASSWORD and \(leakedToken)"
            \(fixCalculator)
            """)
        let run = try repo.aee("task", "Fix it", "--agent", agent, "--json", environment: ["MY_SERVICE_PASSWORD": key])
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let agentReport = try #require(try repo.artifact(id, "iterations/1/work_item_task.json")["agent"] as? [String: Any])
        #expect(agentReport["output_tail"] as? String == "using key [redacted: environment] and [redacted: github token]\n")
        let everything = try repo.git("log", "--all", "-p")
        #expect(!everything.contains(key) && !everything.contains(leakedToken))
    }

    @Test("secrets are redacted where output is cut to its tail (a token cut in two, a private key without its start) and inside JSON's escapes (a quote, a backslash, several lines)")
    func redactedWhereCut() throws {
        let repo = try calculatorRepository(gates: #""tests": {"run": "./loud.sh && ./test.sh"}"#)
        // The gate prints a private key longer than the 16 KiB it keeps of its output: its start is cut off. (Its
        // lines are made as it runs: the script itself is in the history.)
        try repo.write("loud.sh", """
            #!/bin/sh
            echo '-----BEGIN PRIVATE KEY-----'
            seq 1 400 | sed 's/^/KEY''BODY/; s/$/\(String(repeating: "Q", count: 50))/'
            echo '-----END PRIVATE KEY-----'

            """)
        try repo.git("add", "loud.sh")
        try repo.git("update-index", "--chmod=+x", "loud.sh")
        try repo.git("commit", "-q", "-m", "A loud gate")
        let password = #"Tr0ub4dor"and\3xtra-pw"#
        let deployKey = "line1-AAAAAAAAAAAA\nline2-BBBBBBBBBBBB\nline3-CCCCCCCCCCCC"
        // The agent's kept 16 KiB start 10 bytes into the token: what is left of it would name no token.
        let after = "pw is \(password)\n\(deployKey)\n"
        let padding = 16_384 + 10 - leakedToken.utf8.count - 1 - after.utf8.count
        let agent = try repo.executor("cut", """
            printf '%s' '\(leakedToken)'; head -c \(padding) /dev/zero | tr '\\0' g; echo
            printf 'pw is %s\\n%s\\n' "$SMTP_PASSWORD" "$DEPLOY_KEY"
            \(fixCalculator)
            """)
        let run = try repo.aee("task", "Fix it", "--agent", agent, "--json", environment: ["SMTP_PASSWORD": password, "DEPLOY_KEY": deployKey])
        #expect(run.status == 0, "\(run.stderr)")
        let id = try #require(try repo.json(run.stdout)["id"] as? String)
        let agentReport = try #require(try repo.artifact(id, "iterations/1/work_item_task.json")["agent"] as? [String: Any])
        // The long word the cut fell in went whole: the token's remains with it.
        #expect(agentReport["output_tail"] as? String == "pw is [redacted: environment]\n[redacted: environment]\n", "\(agentReport)")
        let gates = try #require(try repo.artifact(id, "iterations/1/gate_results.json")["results"] as? [[String: Any]])
        #expect((gates.first?["output_tail"] as? String)?.hasPrefix("[redacted: private key]\nok: 2 + 3 = 5") == true, "\(gates)")
        let everything = try repo.git("log", "--all", "-p")
        for fragment in ["qrstuvwxyz0123456789", "Tr0ub4dor", "AAAAAAAAAAAA", "BBBBBBBBBBBB", "CCCCCCCCCCCC", "KEYBODY"] {
            #expect(!everything.contains(fragment), "\(fragment) is in the history")
        }
    }

    @Test("a secret in the task's title, or in the titles or ids of an agent's plan, reaches no commit: not the summary, the records, a file name or a message")
    func redactedTitles() throws {
        let repo = try calculatorRepository()
        let key = "sk-ant-api03-" + String(repeating: "y", count: 40)
        // Two iterations: the first plan's item fails the gate, so its titles reach the summary, the failure context and the end.
        let agent = try repo.agentScript("planner", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
              echo '{"work_items": [{"id": "one", "title": "use '"$MY_SERVICE_PASSWORD"' and \(leakedToken)"}, {"id": "'"$MY_SERVICE_PASSWORD"'", "title": "two"}, {"id": "\(leakedToken)", "title": "three"}]}' > "$AEE_OUTPUT_FILE"; exit 0
            fi
            if [ -n "${AEE_CONTEXT_FILE:-}" ]; then \(fixCalculator); fi
            """)
        let titled = try repo.aee("task", "Fix it with \(key)", "--agent", "'\(agent)'", "--json", environment: ["MY_SERVICE_PASSWORD": key])
        #expect(titled.status == 0, "\(titled.stderr)")
        let id = try #require(try repo.json(titled.stdout)["id"] as? String)
        #expect(try repo.artifact(id, "task.json")["title"] as? String == "Fix it with [redacted: environment]")
        let summary = try #require(try repo.artifact(id, "iterations/1/work_items_summary.json")["work_items"] as? [[String: Any]])
        #expect(summary.first?["title"] as? String == "use [redacted: environment] and [redacted: github token]", "\(summary)")
        #expect(summary.map { $0["id"] as? String } == ["one", "item-2", "item-3"], "\(summary)")
        let everything = try repo.git("log", "--all", "-p") + repo.git("for-each-ref")
        #expect(!everything.contains(key) && !everything.contains(leakedToken))
    }
}
