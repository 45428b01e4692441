import Foundation
import Testing

@Suite("gates judging the working tree")
struct GateTests {
    /// A repository whose config defines `gates` (name -> JSON object) and `default_gates`.
    func repository(gates: [String: String], defaults: [String]) throws -> Scratch {
        let repo = try Scratch()
        try repo.commitFile()
        let body = gates.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        let list = defaults.map { "\"\($0)\"" }.joined(separator: ", ")
        try repo.write(".aee/config.json", "{\"version\": 1, \"gates\": {\(body)}, \"default_gates\": [\(list)]}\n")
        try repo.git("add", ".aee/config.json")
        try repo.git("commit", "-q", "-m", "config")
        return repo
    }

    @Test("independent gates run at the same time, as many as --jobs allows")
    func parallel() throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("aee-marks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: marks) }
        // Each gate waits until all three have started: run fewer at once, and the first ones time out.
        func waiting(_ me: String) -> String {
            #"{"run": "touch \#(marks)/\#(me); while [ $(ls \#(marks) | wc -l) -lt 3 ]; do sleep 0.02; done", "timeout_seconds": 20}"#
        }
        let repo = try repository(gates: ["a": waiting("a"), "b": waiting("b"), "c": waiting("c")], defaults: ["a", "b", "c"])
        let outcome = try repo.aee("gate", "--json", "--jobs", "3")
        #expect(outcome.status == 0, "\(outcome.stdout)")
        let report = try repo.json(outcome.stdout)
        #expect(report["passed"] as? Bool == true)
    }

    @Test("a tree that passed is not judged again; --no-cache, a changed file or a changed command run it again")
    func passCache() throws {
        let counter = FileManager.default.temporaryDirectory.appendingPathComponent("aee-count-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: counter) }
        let repo = try repository(gates: ["count": #"{"run": "echo run >> \#(counter)"}"#], defaults: ["count"])
        func runs() throws -> Int { (try? String(contentsOfFile: counter, encoding: .utf8))?.split(separator: "\n").count ?? 0 }
        #expect(try repo.aee("gate").status == 0)
        #expect(try runs() == 1)
        let second = try repo.aee("gate")
        #expect(second.stdout.contains("cached"))
        #expect(try runs() == 1)
        #expect(try repo.aee("gate", "--no-cache").status == 0)
        #expect(try runs() == 2)
        try repo.write("new-file.txt", "untracked counts too\n")
        #expect(try repo.aee("gate").status == 0)
        #expect(try runs() == 3)
        #expect(try repo.aee("gate").status == 0)
        #expect(try runs() == 3)
        // The note is plain git, on the tree that was judged.
        let tree = try repo.json(try repo.aee("gate", "--json").stdout)["tree"] as! String
        #expect(try repo.git("notes", "--ref", "aee-gates", "show", tree).contains("\"gate\":\"count\""))
        // The notes commits say what they record, in git aee's words, not libgit2's.
        #expect(try repo.git("log", "-1", "--format=%s", "refs/notes/aee-gates") == "aee: gates passed: count\n")
        // Nothing of the notes' own is left for gc: no commit, no empty tree (the judged trees are named by the notes).
        let fsck = try repo.git("fsck", "--no-progress")
        #expect(!fsck.contains("dangling commit") && !fsck.contains("dangling tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904"), "\(fsck)")
        // Changing the gate's command makes it a different gate.
        try repo.git("config", "aee.gate.count.run", "echo changed >> \(counter)")
        #expect(try repo.aee("gate").status == 0)
        #expect(try runs() == 4)
        #expect(try repo.fsckIsClean())
    }

    @Test("a failure exits 1 with its output; what needs it is skipped; failures are not cached")
    func failureAndSkip() throws {
        let repo = try repository(gates: [
            "bad": #"{"run": "echo broken on stdout; echo details >&2; exit 3"}"#,
            "later": #"{"run": "true", "needs": ["bad"]}"#,
        ], defaults: ["later"])
        let outcome = try repo.aee("gate")
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("broken on stdout\ndetails\n"))
        #expect(outcome.stderr == "error: 2 of 2 gates did not pass: bad, later\n")
        let report = try repo.json(try repo.aee("gate", "--json").stdout)
        let results = try #require(report["results"] as? [[String: Any]])
        #expect(results.map { $0["gate"] as? String } == ["bad", "later"])
        #expect(results.map { $0["status"] as? String } == ["failed", "skipped"])
        #expect(results[0]["exit_code"] as? Int == 3)
        #expect(results[0]["cached"] as? Bool == false)
    }

    @Test("a gate that hangs is killed at its timeout, with everything it started")
    func timeout() throws {
        let repo = try repository(gates: ["hang": #"{"run": "sleep 300 & sleep 300", "timeout_seconds": 1}"#], defaults: ["hang"])
        let outcome = try repo.aee("gate", "--json")
        #expect(outcome.status == 1)
        let result = try #require((try repo.json(outcome.stdout)["results"] as? [[String: Any]])?.first)
        #expect(result["status"] as? String == "timed_out")
    }

    @Test("gates do not see git's repository variables, and the user's index is not written")
    func environmentAndIndex() throws {
        let repo = try repository(gates: ["env": #"{"run": "echo dir=${GIT_DIR:-unset} index=${GIT_INDEX_FILE:-unset}"}"#], defaults: ["env"])
        try repo.write("untracked.txt", "x\n")
        let index = try Data(contentsOf: repo.directory.appendingPathComponent(".git/index"))
        let outcome = try repo.aee("gate", "--json", environment: ["GIT_DIR": repo.directory.appendingPathComponent(".git").path, "GIT_INDEX_FILE": "/nonexistent"])
        let result = try #require((try repo.json(outcome.stdout)["results"] as? [[String: Any]])?.first)
        #expect(result["output_tail"] as? String == "dir=unset index=unset\n")
        #expect(try Data(contentsOf: repo.directory.appendingPathComponent(".git/index")) == index)
        #expect(try repo.git("status", "--porcelain") == "?? untracked.txt\n")
    }

    @Test("bad gate definitions are refused: unknown names and needs loops")
    func badDefinitions() throws {
        let repo = try repository(gates: ["a": #"{"run": "true", "needs": ["b"]}"#, "b": #"{"run": "true", "needs": ["a"]}"#], defaults: ["a"])
        let loop = try repo.aee("gate")
        #expect(loop.status == 128)
        #expect(loop.stderr == "fatal: the gates' 'needs' form a loop: a -> b -> a\n")
        try repo.write(".aee/config.json", #"{"version": 1, "gates": {"a": {"run": "true"}}}"# + "\n")
        let unknown = try repo.aee("gate", "nope")
        #expect(unknown.status == 128)
        #expect(unknown.stderr.hasPrefix("fatal: unknown gate 'nope' (known: a, doctor)"))
    }

    @Test("a task whose gate starts with a program not on PATH is refused before its agent runs; one whose PATH is set (env, first command, assignment), a function, or a script the task writes is left to the run")
    func gateProgramMissing() throws {
        let repo = try repository(gates: ["tests": #"{"run": "no-such-tool-anywhere --check"}"#, "venv": #"{"run": ". ./env.sh && in-env-tool"}"#,
                                          "written": #"{"run": "./written-by-the-task.sh"}"#], defaults: ["tests"])
        let refs = try repo.refs()
        let marker = repo.root.appendingPathComponent("agent-ran").path
        let refused = try repo.aee("task", "Anything", "--agent", "touch '\(marker)'")
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: gate 'tests' runs 'no-such-tool-anywhere', which is not on PATH\nhint: install it, or change the gate's command"), "\(refused.stderr)")
        #expect(try repo.refs() == refs && !FileManager.default.fileExists(atPath: marker), "nothing written, no agent paid")
        try repo.write("env.sh", "PATH=\"$PWD/tools:$PATH\"\n")
        try repo.write("tools/in-env-tool", "#!/bin/sh\nexit 0\n")
        try repo.git("add", "-A")
        try repo.git("update-index", "--chmod=+x", "tools/in-env-tool")
        try repo.git("commit", "-q", "-m", "a tool the gate finds once env.sh has set PATH")
        try repo.git("checkout", "-q", "--", ".")
        // A PATH given in the gate's env, or set on its line, and a function the line defines, are the run's to find.
        try repo.git("config", "aee.gate.assigned.run", #"PATH="$PWD/tools:$PATH" in-env-tool"#)
        try repo.git("config", "aee.gate.function.run", #"retry() { "$@" || "$@"; }; retry true"#)
        let config = try String(contentsOf: repo.directory.appendingPathComponent(".aee/config.json"), encoding: .utf8)
        try repo.write(".aee/config.json", config.replacingOccurrences(of: #""gates": {"#, with: #""gates": {"envpath": {"run": "in-env-tool", "env": {"PATH": "\#(repo.directory.path)/tools:/usr/bin:/bin"}}, "relative": {"run": "in-env-tool", "env": {"PATH": "tools:/usr/bin:/bin"}}, "#))
        try repo.git("commit", "-q", "-am", "a gate with its own PATH")
        let task = try repo.executor("writer", "printf '#!/bin/sh\\nexit 0\\n' > written-by-the-task.sh; chmod +x written-by-the-task.sh")
        // From a folder below the top too: a relative PATH entry is found from the top of the tree the gate runs in.
        try repo.write("sub/notes.txt", "below\n")
        let ran = try repo.aee("task", "Write it", "--agent", task, "--gate", "venv", "--gate", "written", "--gate", "envpath", "--gate", "assigned",
                               "--gate", "function", "--gate", "relative", in: repo.directory.appendingPathComponent("sub"))
        #expect(ran.status == 0, "\(ran.stderr)")
    }

    @Test("doctor finds conflict markers and commands missing from PATH")
    func doctor() throws {
        let repo = try repository(gates: ["tool": #"{"run": "no-such-tool-anywhere --check"}"#], defaults: ["doctor"])
        try repo.write("README", "<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n")
        let outcome = try repo.aee("gate", "--json")
        #expect(outcome.status == 1)
        let tail = try #require((try repo.json(outcome.stdout)["results"] as? [[String: Any]])?.first?["output_tail"] as? String)
        #expect(tail == "README: conflict markers\ngate 'tool': 'no-such-tool-anywhere' is not on PATH\n")
    }

    @Test("doctor takes shell lines as the shell does (builtins, &&, pipes, ~/) and says when a script is not executable")
    func doctorReadsShell() throws {
        let repo = try repository(gates: ["limits": #"{"run": "ulimit -n 1024 && true"}"#, "trap": #"{"run": "trap 'rm -f x' EXIT; true|cat"}"#,
                                          "tests": #"{"run": "./test.sh"}"#], defaults: ["doctor"])
        try repo.write("test.sh", "#!/bin/sh\nexit 0\n")
        let outcome = try repo.aee("gate", "--json")
        #expect(outcome.status == 1)
        let tail = try #require((try repo.json(outcome.stdout)["results"] as? [[String: Any]])?.first?["output_tail"] as? String)
        #expect(tail == "gate 'tests': './test.sh' is not executable\n")
        try repo.run("/bin/chmod", ["+x", repo.directory.appendingPathComponent("test.sh").path])
        #expect(try repo.aee("gate", "--no-cache").status == 0)
    }
}

