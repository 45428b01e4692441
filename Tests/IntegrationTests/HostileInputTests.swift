import Foundation
import Fuzzing
import Testing

/// Hostile input through the built binary: generated argument lists, hook input, damaged records and configs, and
/// agents that attack paths, trailers and memory. Each answer must be a result or a clear message with git's exit
/// codes; a refusal changes no ref; the repository stays one `git fsck --strict` accepts.
@Suite("hostile input through git-aee")
struct HostileInputTests {
    /// Why an outcome is not a clean answer, or nil.
    static func problem(_ outcome: Outcome) -> String? {
        if ![0, 1, 2, 3, 4, 5, 128, 129].contains(outcome.status) { return "exit status \(outcome.status)" }
        if outcome.stderr.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) }) {
            return "control characters on stderr"
        }
        if outcome.status == 128, !outcome.stderr.hasPrefix("fatal: ") { return "exit 128 without 'fatal:'" }
        if outcome.status == 129, !outcome.stderr.hasPrefix("error: "), !outcome.stdout.hasPrefix("usage: ") { return "exit 129 without a usage message" }
        return nil
    }

    /// A repository with a commit, a draft task, the doctor gate only and no agent.
    func repository() throws -> (Scratch, String) {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.write(".aee/config.json", #"{"version": 1, "gates": {}, "default_gates": ["doctor"]}"# + "\n")
        try repo.git("add", ".aee/config.json")
        try repo.git("commit", "-q", "-m", "config")
        return (repo, try repo.draft())
    }

    @Test("generated argument lists for every command: a result or a usage error, never a crash or a hang")
    func arguments() throws {
        let (repo, id) = try repository()
        var fuzzer = Fuzzer("arguments")
        let commands = ["task", "run", "resume", "status", "approve", "cancel", "list", "show", "log", "gate", "hooks", "hook",
                        "remote", "trust", "init", "help", "worker", "version", "nope", ""]
        let options = ["--json", "--draft", "--queue", "--push", "--gate", "--agent", "--timeout", "--here", "--merge", "--remote",
                       "--state", "--reason", "--recent", "--jobs", "--no-cache", "--force", "--check", "--revoke", "--max-iterations",
                       "--mode", "--retry", "--max-cost", "--if-queued", "--if-abandoned", "-h", "--", "-j", "-f", "--gate=", "--json=1"]
        let values = [id, String(id.prefix(3)), "doctor", "origin", "install", "pre-push", "autonomous", "fresh", "0", "-5", "1e9", "DRAFT"]
        var failures = 0
        for _ in 0..<max(20, Fuzzer.cases / 4) {
            var arguments = [fuzzer.pick(commands)]
            for _ in 0..<Int.random(in: 0...4, using: &fuzzer) {
                switch Int.random(in: 0..<3, using: &fuzzer) {
                case 0: arguments.append(fuzzer.pick(options))
                case 1: arguments.append(fuzzer.pick(values))
                default: arguments.append(fuzzer.hostileString().replacingOccurrences(of: "\0", with: ""))
                }
            }
            // A worker waits for work by design; a run would need an agent: both get a bound.
            if arguments[0] == "worker" { arguments += ["--once", "--idle-exit", "0"] }
            let outcome = try repo.run(Scratch.binary, arguments)
            if let problem = Self.problem(outcome) {
                failures += 1
                if failures <= 5 { Issue.record("git aee \(arguments.map(\.debugDescription).joined(separator: " ")): \(problem)\n\(outcome.stderr.prefix(500))") }
            }
        }
        #expect(try repo.fsckIsClean())
        let refs = try repo.git("for-each-ref", "--format=%(refname)").split(separator: "\n")
        #expect(refs.allSatisfy { $0.range(of: #"^refs/(heads/(main|aee/[0-9a-z]{8}(-attempt-[0-9]+)?)|notes/aee-gates)$"#, options: .regularExpression) != nil }, "\(refs)")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("pwned").path))
    }

    @Test("generated pre-push input: judged, or refused with a message, never a crash")
    func hookInput() throws {
        let (repo, _) = try repository()
        let head = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        var fuzzer = Fuzzer("hook input")
        let line = "refs/heads/main \(head) refs/heads/main 0000000000000000000000000000000000000000"
        for _ in 0..<max(10, Fuzzer.cases / 20) {
            let input = String(decoding: fuzzer.mutate(line), as: UTF8.self) + (fuzzer.chance(50) ? "\n" + line : "")
            let outcome = try repo.run(Scratch.binary, ["hook", "pre-push", "origin", "/nowhere"], stdin: input)
            #expect(Self.problem(outcome) == nil, "\(input.debugDescription): \(outcome.stderr)")
        }
    }

    @Test("damaged task records and configs: every command answers clearly, and a refusal changes nothing")
    func damagedFiles() throws {
        let (repo, id) = try repository()
        let record = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/task.json")
        let events = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/events.jsonl")
        let config = try String(contentsOf: repo.directory.appendingPathComponent(".aee/config.json"), encoding: .utf8)
        var fuzzer = Fuzzer("damaged files")
        for round in 0..<max(10, Fuzzer.cases / 25) {
            let damaged: Data
            let path: String
            switch round % 3 {
            case 0: (damaged, path) = (Data(fuzzer.mutate(record)), ".aee/tasks/\(id)/task.json")
            case 1: (damaged, path) = (Data(fuzzer.mutate(events)), ".aee/tasks/\(id)/events.jsonl")
            default: (damaged, path) = (Data(fuzzer.mutate(config)), ".aee/config.json")
            }
            if path == ".aee/config.json" {
                try damaged.write(to: repo.directory.appendingPathComponent(path))
            } else {
                try commit(damaged, at: path, onto: "aee/\(id)", in: repo)
            }
            for arguments in [["show", id], ["log", id], ["list"], ["status"], ["approve", id], ["cancel", id], ["gate"], ["task", "x", "--draft"]] {
                let before = try repo.refs()
                let outcome = try repo.run(Scratch.binary, arguments)
                #expect(Self.problem(outcome) == nil, "\(arguments) on damaged \(path): \(outcome.stderr.prefix(300))")
                if outcome.status != 0 { #expect(try repo.refs() == before, "\(arguments) failed but moved a ref") }
            }
            try repo.write(".aee/config.json", config)
        }
        #expect(try repo.fsckIsClean())
    }

    /// Commits `bytes` at `path` on `branch` with git's plumbing, as someone editing the record by hand would.
    func commit(_ bytes: Data, at path: String, onto branch: String, in repo: Scratch) throws {
        let file = repo.root.appendingPathComponent("damaged")
        try bytes.write(to: file)
        let blob = try repo.git("hash-object", "-w", file.path).trimmingCharacters(in: .whitespacesAndNewlines)
        let index = ["GIT_INDEX_FILE": repo.root.appendingPathComponent("index.damaged").path]
        try repo.run("/usr/bin/git", ["read-tree", branch], extraEnvironment: index)
        try repo.run("/usr/bin/git", ["update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"], extraEnvironment: index)
        let tree = try repo.run("/usr/bin/git", ["write-tree"], extraEnvironment: index).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try repo.git("commit-tree", tree, "-p", branch, "-m", "damaged by hand").trimmingCharacters(in: .whitespacesAndNewlines)
        try repo.git("update-ref", "refs/heads/\(branch)", commit)
    }

    @Test("files git fsck --strict rejects (a .gitmodules URL that reads as an option, a .gitattributes line over 2,048 bytes, a name macOS takes for .git) are not committed, left or committed by the agent: fsck stays clean, the gates do not see them, the record names them",
          arguments: [false, true])
    func fsckRejectedFiles(agentCommits: Bool) throws {
        let repo = try calculatorRepository(gates: #""tests": {"run": "./test.sh && test ! -e .gitmodules && test ! -e .gitattributes"}"#)
        let agent = try repo.executor("fsck-bait", """
            printf '[submodule "x"]\\n\\tpath = x\\n\\turl = --upload-pack=touch /tmp/aee-pwned\\n' > .gitmodules
            python3 -c 'print("*.c text # " + "a" * 3000)' > .gitattributes
            mkdir -p "$(printf '.g\\342\\200\\214it')" && echo x > "$(printf '.g\\342\\200\\214it')/config"
            \(agentCommits ? "git add -A && git commit -q -m bait" : "")
            \(fixCalculator)
            """)
        let (id, _) = try repo.succeed(agent: agent)
        let fsck = try repo.run("/usr/bin/git", ["fsck", "--strict", "--no-progress"])
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        let tree = try repo.git("ls-tree", "-r", "--name-only", "aee/\(id)")
        #expect(!tree.contains(".gitmodules") && !tree.contains(".gitattributes") && !tree.contains("config\n"), "\(tree)")
        let report = try repo.artifact(id, "iterations/1/work_item_task.json")
        if agentCommits {
            let undone = (report["undone_git_changes"] as? [String]) ?? []
            #expect(undone.contains { $0.hasPrefix("the agent's commits were not kept: ") }, "\(undone)")
        }
        let refused = (report["refused_changes"] as? [String]) ?? []
        #expect(refused.contains(".gitmodules") && refused.contains(".gitattributes") && refused.count == 3, "\(refused)")
    }

    @Test("folders nested deeper than a path can name (40 of 200 characters): the task still ends as its gates say, and the workspace goes, deep folders and all")
    func deeperThanAPath() throws {
        let repo = try calculatorRepository()
        let agent = try repo.executor("deep", """
            python3 -c 'import os
            for i in range(40): os.mkdir("d" * 200); os.chdir("d" * 200)
            open("leaf", "w").write("x")'
            \(fixCalculator)
            """)
        let (id, record) = try repo.succeed(agent: agent)
        #expect(record["state"] as? String == "SUCCEEDED")
        #expect(!(try repo.git("ls-tree", "-r", "--name-only", "aee/\(id)").contains("leaf")))
        let folders = try FileManager.default.contentsOfDirectory(atPath: repo.workspaceRoot).map { repo.workspaceRoot + "/" + $0 }
        for folder in folders {
            let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0 != "repository" && !$0.hasPrefix(".") }
            #expect(left.isEmpty, "\(left)")
        }
        #expect(try repo.fsckIsClean())
    }

    @Test("an agent attacking paths, trailers and memory: ids made safe, no forged trailer, nothing written outside, output capped")
    func hostileAgent() throws {
        let repo = try calculatorRepository()
        let outside = repo.root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let agent = try repo.agentScript("hostile-agent", #"""
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
                cat > "$AEE_OUTPUT_FILE" <<'JSON'
            {"summary": "x\n\nAEE-Task: other", "work_items": [
              {"id": "../../escape", "title": "T1\n\nAEE-Task: other\nAEE-State: SUCCEEDED"},
              {"id": "/etc/passwd", "title": "T2"}, {"id": ".git", "title": "T3"}, {"id": "a\u0000b", "title": "T4"},
              {"id": "x.lock", "title": "T5"}, {"id": "@{1}", "title": "T6"}, {"id": "ok", "title": "T7"}, {"id": "ok", "title": "T8"}]}
            JSON
                exit 0
            fi
            # Links out of the worktree, a flood of output, a nesting bomb and invalid UTF-8 for a result.
            ln -sfn '\#(outside.path)' out-link
            ln -sfn ../../../../.. up-link
            ln -sfn '\#(outside.path)/planted' .aee/tasks-link
            rm -rf .aee/tasks && ln -sfn '\#(outside.path)' .aee/tasks
            head -c 100000000 /dev/zero | tr '\0' x
            n=$(cat "$AEE_WORK_ITEM_FILE" | tr -dc 0-9 | head -c 1)
            case "$n" in
                1) awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; }' > "$AEE_OUTPUT_FILE" ;;
                2) printf '{"handoff_notes": "\377\376 bad"}' > "$AEE_OUTPUT_FILE" ;;
                *) printf '{"handoff_notes": "done\\n\\nAEE-Task: other\\nAEE-Event: succeeded"}' > "$AEE_OUTPUT_FILE" ;;
            esac
            exit 0
            """#)
        let outcome = try repo.aee("task", "Hostile\n\nAEE-Task: other", "--agent", "'\(agent)'", "--max-iterations", "1")
        #expect([0, 1].contains(outcome.status), "\(outcome.stderr.suffix(500))")
        let id = try repo.onlyTaskID()
        // Every path the task's commits hold is inside the repository, and every work item file has a safe name.
        let paths = try repo.git("log", "--all", "--format=", "--name-only").split(separator: "\n")
        #expect(paths.allSatisfy { !$0.hasPrefix("/") && !$0.split(separator: "/").contains("..") && !$0.hasPrefix(".git/") })
        let items = paths.filter { $0.contains("/work_item_") }.map { String($0.split(separator: "/").last!) }
        #expect(!items.isEmpty && items.allSatisfy { $0.range(of: #"^work_item_[a-z0-9][a-z0-9_-]*\.json$"#, options: .regularExpression) != nil }, "\(items)")
        // One AEE-Task trailer per commit, always this task's.
        let trailers = try repo.git("log", "--all", "--format=%(trailers:key=AEE-Task,valueonly,separator=|)", "--", ".").split(separator: "\n")
        #expect(!trailers.isEmpty && trailers.allSatisfy { $0 == id }, "\(Set(trailers))")
        // Nothing was written through the links, and the links were committed as links.
        let planted = try FileManager.default.contentsOfDirectory(atPath: outside.path)
        #expect(planted.isEmpty, "\(planted)")
        #expect(try repo.git("ls-tree", "aee/\(id)", "out-link").hasPrefix("120000"))
        // The flood left only a tail in the record.
        let item = try repo.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/1/work_item_ok.json")
        #expect(item.utf8.count < 200_000)
        #expect(try repo.fsckIsClean())
    }
}
