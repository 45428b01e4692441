import Foundation
import Testing

extension Scratch {
    /// Replaces `old` with `new` in the working tree's `.aee/config.json`, as an edit or a pull would.
    func editConfig(_ old: String, _ new: String) throws {
        let config = try String(contentsOf: directory.appendingPathComponent(".aee/config.json"), encoding: .utf8)
        try write(".aee/config.json", config.replacingOccurrences(of: old, with: new))
    }
}

@Suite("commands from .aee/config.json run only once the user approved them")
struct TrustTests {
    /// The calculator repository with its agent in `.aee/config.json`, and no blanket AEE_TRUST.
    func untrustedRepository() throws -> Scratch {
        let repo = try calculatorRepository(fixed: true, config: #", "max_iterations": 3"#)
        repo.environment["AEE_TRUST"] = nil
        try repo.editConfig(#""command": null"#, #""command": "\#(exampleAgent("learner"))""#)
        try repo.git("commit", "-q", "-am", "the team's agent")
        return repo
    }

    @Test("an unapproved config is shown and not run; 'git aee trust' approves it; a changed command asks again")
    func approveAndChange() throws {
        let repo = try untrustedRepository()
        let refs = try repo.refs()
        let refused = try repo.aee("task", "Make calc add")
        #expect(refused.status == 128)
        #expect(refused.stderr.contains("fatal: .aee/config.json asks to run commands you have not approved"))
        #expect(refused.stderr.contains("agent (new): \(exampleAgent("learner"))"))
        #expect(refused.stderr.contains("gate 'tests' (new): ./test.sh"))
        #expect(refused.stderr.contains("hint: read them; 'git aee trust'"))
        #expect(try repo.refs() == refs, "a refused task leaves nothing behind")

        let check = try repo.aee("trust", "--check")
        #expect(check.status == 1)
        #expect(check.stdout.split(separator: "\n").count == 2)
        let approved = try repo.aee("trust")
        #expect(approved.status == 0)
        #expect(approved.stdout.contains("approved gate 'tests': ./test.sh"))
        #expect(try repo.aee("trust", "--check").status == 0)
        // Recorded in the repository's own config, one line per command, keyed by its hash.
        let recorded = try repo.git("config", "--local", "--get-all", "aee.trusted").split(separator: "\n")
        #expect(recorded.count == 2)
        #expect(recorded.allSatisfy { $0.range(of: #"^[0-9a-f]{40} (agent|gate:tests)$"#, options: .regularExpression) != nil })
        let run = try repo.aee("task", "Make calc add")
        #expect(run.status == 0, "\(run.stderr)")

        // Someone changes the gate's command (as a pull would bring it): asked again, and the message says it changed.
        try repo.editConfig(#""run": "./test.sh""#, #""run": "./test.sh; touch pwned", "env": {"X": "1"}"#)
        let changed = try repo.aee("gate")
        #expect(changed.status == 128)
        #expect(changed.stderr.contains("gate 'tests' (changed): X=1 ./test.sh; touch pwned"))
        #expect(!changed.stderr.contains("    agent ("), "only the gate is listed")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("pwned").path))
        #expect(try repo.aee("gate", "--trust").status == 0)
        #expect(try repo.aee("gate", "--no-cache", environment: ["AEE_TRUST": "1"]).status == 0)
        #expect(try repo.aee("trust", "--check").status == 1, "--trust and AEE_TRUST approve nothing for later")

        let bad = try repo.aee("gate", environment: ["AEE_TRUST": "perhaps"])
        #expect(bad.status == 128)
        #expect(bad.stderr.contains("bad value 'perhaps' for AEE_TRUST"))
        #expect(try repo.aee("trust", "--revoke").stdout == "revoked 2 approvals\n")
        #expect(try repo.aee("trust", "--check").status == 1)
    }

    @Test("the user's own git config and --agent need no approval; a team's env on a personal command does")
    func personalCommands() throws {
        let repo = try untrustedRepository()
        try repo.git("config", "aee.gate.tests.run", "./test.sh")
        let agent = try repo.aee("gate")
        #expect(agent.status == 0, "\(agent.stderr)")
        #expect(try repo.aee("task", "Make calc add", "--agent", exampleAgent("learner")).status == 0)
        try repo.git("config", "aee.agent", exampleAgent("learner"))
        #expect(try repo.aee("task", "Make calc add").status == 0)

        try repo.editConfig(#""run": "./test.sh""#, #""run": "./test.sh", "env": {"PATH": "/tmp/evil"}"#)
        let env = try repo.aee("gate")
        #expect(env.status == 128)
        #expect(env.stderr.contains("gate 'tests' (new): PATH=/tmp/evil ./test.sh"))
    }

    @Test("the pre-push hook does not run a command that came with a pull until it is approved")
    func hookAfterPull() throws {
        let repo = try untrustedRepository()
        try repo.addOrigin()
        try repo.aee("trust")
        #expect(try repo.aee("hooks", "install").status == 0)
        #expect(try repo.run("/usr/bin/git", ["push", "-q", "origin", "HEAD:main"]).status == 0)

        // A teammate's clone changes the gate; this clone pulls it.
        let other = repo.root.appendingPathComponent("other")
        try repo.git("clone", "-q", "-b", "main", repo.root.appendingPathComponent("origin.git").path, other.path, in: repo.root)
        let marker = repo.root.appendingPathComponent("ran").path
        let config = try String(contentsOf: other.appendingPathComponent(".aee/config.json"), encoding: .utf8)
        try Data(config.replacingOccurrences(of: #""run": "./test.sh""#, with: #""run": "touch '\#(marker)'; ./test.sh""#).utf8)
            .write(to: other.appendingPathComponent(".aee/config.json"))
        try repo.git("commit", "-q", "-am", "a new gate", in: other)
        try repo.git("push", "-q", "--no-verify", "origin", "HEAD:main", in: other)
        try repo.git("pull", "-q", "origin", "main")

        try repo.write("NEWS", "x\n")
        try repo.git("add", "NEWS")
        try repo.git("commit", "-q", "-m", "news")
        let refused = try repo.run("/usr/bin/git", ["push", "-q", "origin", "HEAD:main"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("gate 'tests' (changed): touch '\(marker)'; ./test.sh"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try repo.aee("trust").status == 0)
        #expect(try repo.run("/usr/bin/git", ["push", "-q", "origin", "HEAD:main"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: marker))
        // Approvals live in this clone's config only; a fresh clone has none.
        #expect(try repo.run("/usr/bin/git", ["config", "--get-all", "aee.trusted"], in: other).status == 1)
    }

    @Test("a worker refuses to start with unapproved commands, and runs with --trust")
    func worker() throws {
        let repo = try untrustedRepository()
        let id = try #require(try repo.queue(1).first)
        let refused = try repo.aee("worker", "--once")
        #expect(refused.status == 128)
        #expect(refused.stderr.contains("agent (new)"))
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "QUEUED")
        let ran = try repo.aee("worker", "--once", "--trust")
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "SUCCEEDED")
    }

    @Test("a running worker holds the queue when the config changes to unapproved commands, and goes on once they are approved")
    func workerHoldsQueue() throws {
        let repo = try untrustedRepository()
        #expect(try repo.aee("trust").status == 0)
        let errors = Pipe()
        let worker = try repo.start(["worker"], stderr: errors)
        // A first task, run while the commands are approved, shows the worker is up.
        let first = try #require(try repo.queue(1).first)
        #expect(waitUntil(seconds: 20) { (try? repo.artifact(first, "task.json")["state"] as? String) == "SUCCEEDED" })
        try repo.editConfig(#""run": "./test.sh""#, #""run": "./test.sh && true""#)
        let id = try #require(try repo.queue(1).first)
        // The queueing woke the worker, which says why it starts nothing.
        usleep(1_500_000)
        #expect(try repo.artifact(id, "task.json")["state"] as? String == "QUEUED")
        #expect(try repo.aee("trust").status == 0)
        // Approving writes .git/config, which wakes the worker as a ref change does.
        #expect(waitUntil(seconds: 20) { (try? repo.artifact(id, "task.json")["state"] as? String) == "SUCCEEDED" })
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.contains("warning: .aee/config.json asks to run commands you have not approved:"), "\(said)")
        #expect(said.components(separatedBy: "have not approved").count == 2, "the warning is given once")
    }

    @Test("git aee init approves the starter config it writes")
    func initApproves() throws {
        let repo = try Scratch()
        repo.environment["AEE_TRUST"] = nil
        try repo.write("Makefile", "test:\n\ttrue\n")
        #expect(try repo.aee("init").status == 0)
        #expect(try repo.aee("trust", "--check").status == 0)
        #expect(try repo.aee("gate").status == 0)
    }
}

extension TrustTests {
    @Test("a task runs with the config of its start commit: its unapproved commands name that commit, and 'git aee trust <commit>' approves them")
    func trustTheStartCommit() throws {
        let repo = try untrustedRepository()
        let id = try repo.draft("Make calc add")
        let base = try repo.git("rev-parse", "--short=12", "HEAD").trimmingCharacters(in: .newlines)
        // main moves on to another gate command, which the user approves; the task's own config is not approved.
        try repo.editConfig("./test.sh", "sh ./test.sh")
        try repo.git("commit", "-q", "-am", "Run the tests with sh")
        #expect(try repo.aee("trust").status == 0)
        #expect(try repo.aee("approve", id).status == 0)
        let refused = try repo.aee("run", id)
        #expect(refused.status == 128)
        #expect(refused.stderr.contains("gate 'tests' (changed): ./test.sh"), "\(refused.stderr)")
        #expect(refused.stderr.contains("hint: read them; 'git aee trust \(base)' approves the commands of .aee/config.json as of that commit"), "\(refused.stderr)")
        let check = try repo.aee("trust", base, "--check")
        #expect(check.status == 1)
        #expect(check.stdout == "gate 'tests' (changed): ./test.sh\n", "\(check.stdout)")
        #expect(try repo.aee("trust", base).stdout == "approved gate 'tests': ./test.sh\n")
        let ran = try repo.aee("run", id)
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(try repo.aee("trust", "no-such-commit").stderr == "fatal: 'no-such-commit' names no commit\n")
    }
}
