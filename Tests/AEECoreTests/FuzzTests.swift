import Foundation
import Fuzzing
import Git
import Testing
@testable import AEECore

/// Every parser of input from files, agents, git and the command line, fed thousands of generated hostile inputs:
/// each must give a valid value or an `AEEError` whose message is one terminal-safe line; never another error, a
/// crash or a hang. Valid seed documents are mutated (bytes, values of every type, nesting bombs, invalid UTF-8).
@Suite("fuzzing the parsers")
struct FuzzTests {
    static let config = #"""
        {"version": 1, "agent": {"command": "./agent", "timeout_seconds": 60, "max_failures": 3},
         "gates": {"doctor": {"builtin": "doctor"}, "tests": {"run": "make test", "needs": ["doctor"], "env": {"A": "b"}, "timeout_seconds": 600}},
         "default_gates": ["doctor", "tests"], "pre_push_gates": ["tests"], "max_iterations": 20, "run_mode": "autonomous",
         "stall_limit": 3, "task_timeout_seconds": 60, "require_plan_approval": false}
        """#
    static let record = #"""
        {"base_branch": "refs/heads/main", "base_commit": "db42e7abee2853bc6c777faa6cc519a1e294117c", "created_at": "2026-11-25T10:49:23Z",
         "created_by": "A U Thor <author@example.com>", "exit_detail": "gates failed", "exit_reason": "max_iterations", "id": "dp7wwvhq",
         "iteration": 2, "metadata": {"gates": ["tests"], "max_cost_usd": 1.5, "max_iterations": 20, "retry": "continue", "run_mode": "autonomous"},
         "state": "FAILED", "title": "x", "updated_at": "2026-11-25T10:49:23Z", "usage": {"cost_usd": 0.25, "turns": 3}, "version": 1}
        """#
    static let event = #"""
        {"actor": "A U Thor <author@example.com>", "details": {"pid": "12", "reason": "gone"}, "event": "queued", "from_state": "APPROVED", "time": "2026-11-25T10:49:23Z", "to_state": "QUEUED"}
        """#
    static let plan = #"""
        {"summary": "Make calc.sh add", "work_items": [{"id": "read-code", "title": "Read calc.sh", "description": "Find it."},
         {"id": "fix-add", "title": "Fix it", "depends_on": ["read-code"]}, {"id": "docs", "title": "Doc it", "depends_on": []}],
         "cost_usd": 0.1, "turns": 2}
        """#
    static let result = #"""
        {"commands_run": ["cat calc.sh"], "tests_run": ["./test.sh"], "evidence": ["ok"], "handoff_notes": "read calc.sh", "cost_usd": 0.1, "turns": 1, "files_changed": ["x"]}
        """#
    static let failure = #"""
        {"iteration": 1, "reason": "gates_failed", "failed_gates": [{"gate": "tests", "status": "failed", "exit_code": 1, "output_tail": "FAIL"}],
         "agent": null, "files_changed": ["calc.sh"], "signature": "abc"}
        """#
    static let pass = #"{"at": "2026-11-25T10:49:23Z", "definition": "0123", "gate": "tests"}"#

    /// Fails the test when `parse` answers `input` with anything but a value `problem` finds nothing wrong with, or a
    /// clear `AEEError`; returns whether the answer was clean. Only the first few bad cases of a parser are reported.
    static func check<T>(_ parser: String, _ input: [UInt8], failures: inout Int, _ parse: ([UInt8]) throws -> T, problem: (T) -> String? = { _ in nil }) {
        let complaint: String?
        do {
            complaint = problem(try parse(input)).map { "accepted it, but \($0)" }
        } catch let error as any AEEError {
            complaint = unclear(error.description)
        } catch {
            complaint = "threw \(type(of: error)), not a user-facing error: \(error)"
        }
        guard let complaint else { return }
        failures += 1
        if failures <= 5 {
            Issue.record("\(parser) (seed \(Fuzzer.seed)): \(complaint); input: \(String(decoding: input.prefix(300), as: UTF8.self).debugDescription)")
        }
    }

    /// Why an error message is not one clear line for a terminal, or nil.
    static func unclear(_ message: String) -> String? {
        if message.isEmpty { return "an empty message" }
        if message.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) { return "a message with control characters: \(message.debugDescription.prefix(300))" }
        if message.count > 1_000 { return "a message of \(message.count) characters" }
        return nil
    }

    /// Decodes `T` as the store and the runner do, and checks that what was accepted survives a round trip.
    static func fuzzDecoding<T: Codable & Equatable>(_ type: T.Type, seed: String, problem: @escaping (T) -> String? = { _ in nil }) {
        var fuzzer = Fuzzer(String(describing: T.self))
        var failures = 0
        #expect(throws: Never.self) { try JSONInput.decode(T.self, from: Array(seed.utf8), file: "seed") }
        for _ in 0..<Fuzzer.cases {
            check(String(describing: T.self), fuzzer.mutate(seed), failures: &failures, { try JSONInput.decode(T.self, from: $0, file: "f.json") }) { value in
                if let problem = problem(value) { return problem }
                guard let again = try? JSONInput.decode(T.self, from: CanonicalJSON.encode(value), file: "f.json") else { return "its canonical JSON does not read back" }
                return again == value ? nil : "it changed in a round trip"
            }
        }
    }

    @Test(".aee/config.json") func config() {
        Self.fuzzDecoding(ProjectConfig.self, seed: Self.config) { config in
            config.gates.keys.first { !ProjectConfig.isValidGateName($0) }.map { "gate name \($0.debugDescription)" }
        }
    }

    @Test("task.json") func taskRecord() {
        Self.fuzzDecoding(TaskRecord.self, seed: Self.record)
    }

    @Test("events.jsonl lines") func events() {
        Self.fuzzDecoding(TaskEvent.self, seed: Self.event)
    }

    @Test("failure_context.json") func failureContext() {
        Self.fuzzDecoding(FailureContext.self, seed: Self.failure)
    }

    @Test("gate pass notes") func passNote() {
        Self.fuzzDecoding(PassCache.Pass.self, seed: Self.pass)
    }

    @Test("the agent's plan: work item ids come out safe as file names, unique, titles one line, dependencies on earlier items only")
    func agentPlan() {
        var fuzzer = Fuzzer("plan")
        var failures = 0
        for _ in 0..<Fuzzer.cases {
            Self.check("plan", fuzzer.mutate(Self.plan), failures: &failures, { bytes in
                let plan = try JSONInput.decode(PlanResult.self, from: bytes, file: "the agent's plan")
                return WorkItem.sanitized((plan.workItems ?? []).map {
                    WorkItem.Proposal(id: $0.id, title: $0.title, description: $0.description ?? "", dependsOn: $0.dependsOn)
                }).items
            }) { items in
                if let bad = items.first(where: { !WorkItem.isSafeID($0.id) || $0.id.contains("..") }) { return "unsafe id \(bad.id.debugDescription)" }
                if Set(items.map(\.id)).count != items.count { return "duplicate ids" }
                for (index, item) in items.enumerated() where !(item.dependsOn ?? []).allSatisfy(items.prefix(index).map(\.id).contains) {
                    return "\(item.id) depends on a later or unknown item"
                }
                return items.first { Self.unclear($0.title) != nil }.map { "title \($0.title.debugDescription)" }
            }
        }
    }

    @Test("the agent's result file") func agentResult() {
        var fuzzer = Fuzzer("result")
        var failures = 0
        for _ in 0..<Fuzzer.cases {
            Self.check("result", fuzzer.mutate(Self.result), failures: &failures) { bytes in
                let result = try JSONInput.decode(ExecutionResult.self, from: bytes, file: "the agent's result")
                return Usage(reportedCost: result.costUSD, turns: result.turns)
            } problem: { (usage: Usage) in
                (usage.costUSD ?? 0) >= 0 && (usage.turns ?? 0) >= 0 ? nil : "usage \(usage)"
            }
        }
    }

    @Test("pre-push hook stdin") func hookInput() {
        var fuzzer = Fuzzer("hook")
        var failures = 0
        let valid = "refs/heads/main 67bf698f3ab735e92fb011a99cff3497c44d30c1 refs/heads/main 0000000000000000000000000000000000000000"
        for _ in 0..<Fuzzer.cases {
            var lines = (0..<Int.random(in: 0...3, using: &fuzzer)).map { _ in valid }
            lines.append(String(decoding: fuzzer.mutate(valid), as: UTF8.self))
            if fuzzer.chance(30) { lines.append(fuzzer.hostileString()) }
            Self.check("hook stdin", Array(lines.shuffled(using: &fuzzer).joined(separator: "\n").utf8), failures: &failures) {
                try PushedRef.parse(String(decoding: $0, as: UTF8.self))
            } problem: { refs in
                refs.first { ![40, 64].contains($0.localOID.count) || OID(hex: String($0.localOID.prefix(40))) == nil }.map { "oid \($0.localOID)" }
            }
        }
    }

    @Test("task ids and prefixes: only the id alphabet gets through, so an id is always a safe path and ref name")
    func taskIDs() throws {
        var fuzzer = Fuzzer("ids")
        for _ in 0..<Fuzzer.cases {
            let text = fuzzer.chance(50) ? fuzzer.hostileString() : String(decoding: fuzzer.mutate("k3m9x2ab"), as: UTF8.self)
            if let id = TaskID(text) {
                #expect(id.rawValue.utf8.count == 8 && id.rawValue.utf8.allSatisfy { TaskID.alphabet.contains($0) })
                #expect(Repository.isValidReferenceName(id.attemptBranch(12)), "\(id.attemptBranch(12))")
            }
            if TaskID.isPrefix(text) { #expect(!text.contains("/") && !text.contains(".") && !text.isEmpty) }
        }
    }

    @Test("titles, notes and trailer values never add a trailer to a commit message")
    func trailers() throws {
        var fuzzer = Fuzzer("trailers")
        let id = TaskID("k3m9x2ab")!
        for _ in 0..<Fuzzer.cases {
            let title = fuzzer.hostileString() + "\n\nAEE-Task: " + fuzzer.hostileString()
            let note = fuzzer.chance(50) ? "\n" + fuzzer.hostileString() + "\nAEE-Event: forged\n" : nil
            let value = fuzzer.hostileString() + "\nAEE-State: SUCCEEDED"
            let message = CommitMessage(task: id, event: "work_item", state: .running, title: title, note: note, trailers: [(key: "AEE-Work-Item", value: value)])
            let parsed = try Trailer.parse(message.text)
            #expect(parsed.map(\.key) == ["AEE-Task", "AEE-Event", "AEE-State", "AEE-Work-Item"], "\(message.text.debugDescription)")
            #expect(parsed.first?.value == "k3m9x2ab")
            #expect(message.text.split(separator: "\n", omittingEmptySubsequences: false).first.map { Self.unclear(String($0)) == nil } ?? false)
        }
    }

    @Test("git -c settings and dates from the environment") func environment() {
        var fuzzer = Fuzzer("environment")
        for _ in 0..<Fuzzer.cases {
            let text = fuzzer.chance(50) ? fuzzer.hostileString() : String(decoding: fuzzer.mutate("'aee.agent=./x' 'color.ui'='never'"), as: UTF8.self)
            let config = CommandLineConfig(environment: ["GIT_CONFIG_PARAMETERS": text, "GIT_CONFIG_COUNT": fuzzer.pick(["1", "-1", "99999999999", text]),
                                                         "GIT_CONFIG_KEY_0": text, "GIT_CONFIG_VALUE_0": text])
            _ = config.value("aee.agent")
            _ = GitDate.parse(fuzzer.chance(50) ? text : String(decoding: fuzzer.mutate("1700000000 +0100"), as: UTF8.self))
        }
    }
}
