import Foundation
import Testing

@Suite("bad input: one clear line, a non-zero exit, nothing written")
struct BadInputTests {
    @Test("outside a repository: fatal, 128")
    func notARepository() throws {
        let scratch = try Scratch("plain", initialize: false)
        let outcome = try scratch.aee("list", environment: ["GIT_CEILING_DIRECTORIES": scratch.root.path])
        #expect(outcome.status == 128)
        #expect(outcome.stderr == "fatal: not a git repository (or any of the parent directories): .git\n")
    }

    @Test("titles: empty is refused, control characters are refused, newlines are kept in the record but not in the subject")
    func titles() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let before = try repo.refs()
        // A usage error, said before anything else (here: before there is an agent to run it).
        let empty = try repo.aee("task", "  ")
        #expect(empty.status == 129)
        #expect(empty.stderr.hasPrefix("error: the task title is empty\nusage: git aee task <title>"), "\(empty.stderr)")
        let escape = try repo.aee("task", "bad \u{1B}[31m title", "--draft")
        #expect(escape.status == 129)
        #expect(escape.stderr.hasPrefix("error: the task title contains the control character U+001B\n"), "\(escape.stderr)")
        #expect(try repo.refs() == before)
        // A title that reorders what a terminal shows (U+202E) is kept, and shown escaped.
        let reversed = try repo.draft("fix \u{202E}txt.exe")
        let list = try repo.aee("list").stdout
        #expect(list.contains("fix \\u{202e}txt.exe"), "\(list)")
        #expect(try repo.json(try repo.aee("show", reversed, "--json").stdout)["title"] as? String == "fix \u{202E}txt.exe")

        let id = try repo.draft("Line one\n\nAEE-Task: forged\nAEE-State: SUCCEEDED")
        #expect(try repo.git("log", "-1", "--format=%s", "aee/\(id)") == "aee(\(id)): created: Line one AEE-Task: forged AEE-State: SUCCEEDED\n")
        #expect(try repo.git("log", "-1", "--format=%(trailers:key=AEE-Task,valueonly,separator=%x2C)", "aee/\(id)") == "\(id)\n")
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["title"] as? String == "Line one\n\nAEE-Task: forged\nAEE-State: SUCCEEDED")
    }

    @Test("a malformed or wrong-typed config names the key (or the line and column; a trailing comma too) and writes nothing: the working tree's for gate, a commit's for a task")
    func badConfig() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let before = try repo.refs()
        let cases: [(String, String)] = [
            ("{ not json", "fatal: .aee/config.json: not valid JSON: line 1, column 3: expected a key in double quotes\n"),
            ("{\"version\": 1,\n \"default_gates\": [],\n}\n", "fatal: .aee/config.json: not valid JSON: line 3, column 1: a comma before '}'\n"),
            ("{\"version\": 1\n", "fatal: .aee/config.json: not valid JSON: line 2, column 1: the document ends where ',' or '}' was expected\n"),
            (#"{"version": 1, "max_iterations": "ten"}"#, "fatal: .aee/config.json: 'max_iterations': expected a whole number\n"),
            (#"{"version": 1, "gates": {"tests": {"run": 5}}}"#, "fatal: .aee/config.json: 'gates.tests.run': expected a string\n"),
            (#"{"version": 1, "max_iteration": 3}"#, "fatal: .aee/config.json: 'max_iteration': unknown key"),
            (#"{"version": 1, "default_gates": ["nope"]}"#, "fatal: .aee/config.json: 'default_gates': names the unknown gate 'nope'\n"),
            (#"{"max_iterations": 3}"#, "fatal: .aee/config.json: 'version': missing\n"),
            (String(repeating: "[", count: 100_000), "fatal: .aee/config.json: nested deeper than 64 levels\n"),
        ]
        for (contents, expected) in cases {
            try repo.write(".aee/config.json", contents)
            let outcome = try repo.aee("gate")
            #expect(outcome.status == 128, "\(contents.prefix(40))")
            #expect(outcome.stderr.hasPrefix(expected), "\(contents.prefix(40)): \(outcome.stderr)")
            #expect(outcome.stderr.split(separator: "\n").count == 1, "one line: \(outcome.stderr)")
        }
        #expect(try repo.refs() == before)
        // A byte-order mark that some editors write is no mistake.
        try repo.write(".aee/config.json", "\u{FEFF}" + #"{"version": 1, "gates": {"ok": {"run": "true"}}, "default_gates": ["ok"]}"#)
        #expect(try repo.aee("gate").status == 0)
        // A task reads the config of the commit it starts from, and names that commit.
        try repo.write(".aee/config.json", "{ not json")
        try repo.git("add", ".aee/config.json")
        try repo.git("commit", "-q", "-m", "Broken config")
        let head = try repo.git("rev-parse", "--short=12", "HEAD").trimmingCharacters(in: .newlines)
        let committed = try repo.refs()
        let outcome = try repo.aee("task", "x", "--draft")
        #expect(outcome.status == 128)
        #expect(outcome.stderr == "fatal: \(head):.aee/config.json: not valid JSON: line 1, column 3: expected a key in double quotes\n", "\(outcome.stderr)")
        #expect(try repo.refs() == committed)
    }

    @Test("unknown flags and wrong argument counts are usage errors, 129")
    func usageErrors() throws {
        let repo = try Scratch()
        let flag = try repo.aee("list", "--frobnicate")
        #expect(flag.status == 129)
        #expect(flag.stderr.hasPrefix("error: unknown option '--frobnicate'\nusage: git aee list"))
        let missing = try repo.aee("task", "--draft")
        #expect(missing.status == 129)
        #expect(missing.stderr.hasPrefix("error: expected 1 argument\n"))
        let command = try repo.aee("frobnicate")
        #expect(command.status == 129)
        #expect(command.stderr.hasPrefix("error: 'frobnicate' is not a git aee command\n"))
        // A typo is answered as git answers one; an option before any command is an unknown option.
        let typo = try repo.aee("lsit")
        #expect(typo.status == 129)
        #expect(typo.stderr == "error: 'lsit' is not a git aee command\n\nThe most similar command is\n\tlist\n")
        let option = try repo.aee("-v")
        #expect(option.status == 129)
        #expect(option.stderr.hasPrefix("error: unknown option '-v'\n"))
        let value = try repo.aee("task", "x", "--draft", "--max-iterations", "many")
        #expect(value.status == 129)
        let range = try repo.aee("task", "x", "--draft", "--max-iterations", "0")
        #expect(range.status == 129)
        #expect(range.stderr.hasPrefix("error: bad value '0' for --max-iterations: expected a whole number from 1 to 1000\n"), "\(range.stderr)")
        try repo.commitFile()
        let timeout = try repo.aee("run", try repo.draft(), "--timeout", "0")
        #expect(timeout.status == 129, "\(timeout.stderr)")
        let gate = try repo.aee("task", "x", "--draft", "--gate", "nope")
        #expect(gate.status == 128)
        #expect(gate.stderr.hasPrefix("fatal: unknown gate 'nope' (known: doctor)\n"))
    }

    @Test("a user branch named 'aee' is reported with the way out, before anything is written")
    func branchNamedAee() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.git("branch", "aee")
        let objects = try repo.git("count-objects")
        let outcome = try repo.aee("task", "x", "--draft")
        #expect(outcome.status == 128)
        #expect(outcome.stderr == "fatal: a branch named 'aee' exists, so git cannot hold task branches 'aee/<id>' beside it\nhint: rename that branch, for example: git branch -m aee aee-old\n")
        #expect(try repo.git("count-objects") == objects)
    }

    @Test("a task record edited by hand into garbage is reported, not crashed on")
    func corruptRecord() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let good = try repo.draft("good")
        let bad = try repo.draft("bad")
        try repo.breakRecord(bad)
        let list = try repo.aee("list")
        #expect(list.status == 0)
        #expect(list.stdout.contains(good))
        #expect(list.stderr.hasPrefix("warning: .aee/tasks/\(bad)/task.json: "))
        let show = try repo.aee("show", bad)
        #expect(show.status == 128)
        #expect(show.stderr.hasPrefix("fatal: .aee/tasks/\(bad)/task.json: "))
    }

    @Test("a record whose state was edited by hand against its event log is refused: the log decides, not the summary")
    func forgedState() throws {
        let repo = try calculatorRepository(fixed: true)
        let (id, _) = try repo.succeed(agent: try repo.executor("noop", "true"))
        try repo.git("checkout", "-q", "aee/\(id)")
        let record = repo.directory.appendingPathComponent(".aee/tasks/\(id)/task.json").path
        let text = try String(contentsOfFile: record, encoding: .utf8)
        try repo.write(".aee/tasks/\(id)/task.json", text.replacingOccurrences(of: "\"state\": \"SUCCEEDED\"", with: "\"state\": \"QUEUED\""))
        try repo.git("commit", "-q", "-am", "requeue it by hand")
        try repo.git("checkout", "-q", "main")
        let tip = try repo.git("rev-parse", "aee/\(id)")
        let reason = "fatal: .aee/tasks/\(id)/task.json: 'state': says QUEUED, but the event log ends in SUCCEEDED (succeeded); the record was changed outside git aee\n"
        for command in [["show", id], ["run", id, "--agent", "true"]] {
            let refused = try repo.run(Scratch.binary, command)
            #expect(refused.status == 128 && refused.stderr == reason, "\(command): \(refused.stderr)")
        }
        #expect(try repo.git("rev-parse", "aee/\(id)") == tip, "nothing was written")
    }

    @Test("an object the repository lost or broke is reported with what the command was doing, not as libgit2's raw error")
    func brokenObject() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let good = try repo.draft("good")
        let bad = try repo.draft("bad")
        let blob = try repo.git("rev-parse", "aee/\(bad):.aee/tasks/\(bad)/task.json").trimmingCharacters(in: .whitespacesAndNewlines)
        let object = repo.directory.appendingPathComponent(".git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: object.path)
        try Data("not an object".utf8).write(to: object)
        let show = try repo.aee("show", bad)
        #expect(show.status == 128)
        #expect(show.stderr == "fatal: cannot read task \(bad): failed to inflate loose object\n", "\(show.stderr)")
        let list = try repo.aee("list")
        #expect(list.status == 0 && list.stdout.contains(good))
        #expect(list.stderr == "warning: cannot read task \(bad): failed to inflate loose object\n", "\(list.stderr)")
        let approve = try repo.aee("approve", bad)
        #expect(approve.status == 128 && approve.stderr.hasPrefix("fatal: cannot move task \(bad) to APPROVED: "), "\(approve.stderr)")
        #expect(!approve.stderr.contains("(git_"))
    }
}
