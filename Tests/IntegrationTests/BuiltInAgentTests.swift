import Foundation
import Testing

/// One real agent CLI, as a test points it at the scripted model (`ModelServer`).
struct AgentUnderTest: CustomTestStringConvertible, Sendable {
    /// The built-in agent's name (`--agent`).
    let name: String
    let model: String
    /// Whether the CLI plans (else the task is one work item, `source: fallback`).
    let plans: Bool
    /// Whether the scripted model can make the CLI run a command (aider runs none of its own).
    let runsCommands: Bool
    /// What the CLI leaves for itself, which no commit may hold.
    let ownFiles: [String]
    /// The environment that sends the CLI to the model at `url` (`http://127.0.0.1:PORT`), settings in `home`.
    let environment: @Sendable (_ url: String, _ home: URL) throws -> [String: String]

    var testDescription: String { name }

    /// The CLIs `make test-agents` could install (it says which it could not; their tests are left out).
    static let all = [claudeCode, codex, aider, miniSWEAgent].filter(\.installed)

    static let claudeCode = AgentUnderTest(name: "claude-code", model: "claude-sonnet-4-6", plans: true, runsCommands: true, ownFiles: [".claude"]) { url, _ in
        ["ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "sk-ant-dummy", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"]
    }

    static let codex = AgentUnderTest(name: "codex", model: "gpt-5.5", plans: true, runsCommands: true, ownFiles: [".codex"]) { url, home in
        // A provider of one's own, the way a user points Codex at any Responses endpoint.
        let codexHome = home.appendingPathComponent(".codex")
        try FileManager.default.createDirectory(at: codexHome, withIntermediateDirectories: true)
        try Data("""
            model_provider = "local"
            [model_providers.local]
            name = "local"
            base_url = "\(url)/v1"
            wire_api = "responses"
            env_key = "OPENAI_API_KEY"
            request_max_retries = 0
            stream_max_retries = 0

            """.utf8).write(to: codexHome.appendingPathComponent("config.toml"))
        return ["CODEX_HOME": codexHome.path, "OPENAI_API_KEY": "sk-dummy"]
    }

    /// Prices for the scripted model, as litellm reads them (aider and mini-swe-agent both price through it).
    static func priceFile(in home: URL) throws -> String {
        let file = home.appendingPathComponent("prices.json")
        try Data(#"{"openai/scripted": {"max_tokens": 8192, "max_input_tokens": 128000, "max_output_tokens": 8192, "input_cost_per_token": 0.000003, "output_cost_per_token": 0.000015, "litellm_provider": "openai", "mode": "chat"}, "scripted": {"max_tokens": 8192, "max_input_tokens": 128000, "max_output_tokens": 8192, "input_cost_per_token": 0.000003, "output_cost_per_token": 0.000015, "litellm_provider": "openai", "mode": "chat"}}"#.utf8)
            .write(to: file)
        return file.path
    }

    static let aider = AgentUnderTest(name: "aider", model: "openai/scripted", plans: true, runsCommands: false, ownFiles: [".aider"]) { url, home in
        ["OPENAI_API_BASE": url + "/v1", "OPENAI_API_KEY": "sk-dummy", "AIDER_MODEL_METADATA_FILE": try priceFile(in: home),
         // Set, to show that the pinned model is used and no other provider is picked because a key is there.
         "ANTHROPIC_API_KEY": "sk-ant-not-to-be-used"]
    }

    static let miniSWEAgent = AgentUnderTest(name: "mini-swe-agent", model: "openai/scripted", plans: false, runsCommands: true, ownFiles: ["trajectory"]) { url, home in
        ["OPENAI_API_BASE": url + "/v1", "OPENAI_BASE_URL": url + "/v1", "OPENAI_API_KEY": "sk-dummy", "LITELLM_MODEL_REGISTRY_PATH": try priceFile(in: home),
         "MSWEA_CONFIGURED": "true", "MSWEA_COST_TRACKING": "default"]
    }

    var installed: Bool { AgentUnderTest.bin.map { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") } ?? false }

    var program: String { ["claude-code": "claude", "codex": "codex", "aider": "aider", "mini-swe-agent": "mini"][name]! }

    /// Where `make test-agents` linked the real CLIs; nil outside it (the tests are skipped).
    static let bin = ProcessInfo.processInfo.environment["AEE_TEST_AGENTS"]
}

/// A calculator repository whose gate fails until `calc.sh` adds, with the real CLIs on PATH and `agent` sent to a
/// scripted model of its own (one that refuses every key, or none at all: a port nothing listens on).
/// The server lives as long as the repository.
func agentRepository(_ agent: AgentUnderTest, model: ModelBehaviour = .scripted) throws -> (repo: Scratch, server: ModelServer?) {
    let repo = try calculatorRepository(gates: #""tests": {"run": "sh test.sh"}"#)
    repo.environment["PATH"] = try #require(AgentUnderTest.bin) + ":" + (repo.environment["PATH"] ?? "")
    let server = model == .unreachable ? nil : try ModelServer(in: repo, refusingKeys: model == .refusingKeys)
    repo.companion = server
    let url = try server?.url ?? "http://127.0.0.1:\(closedPort())"
    for (key, value) in try agent.environment(url, repo.root.appendingPathComponent("home")) { repo.environment[key] = value }
    return (repo, server)
}

enum ModelBehaviour {
    case scripted, refusingKeys, unreachable
}

@Suite("the built-in agents, driven through the real CLIs against a scripted model",
       .enabled(if: AgentUnderTest.bin != nil, "the real agent CLIs are not installed ('make test-agents' installs them and runs these)"),
       .serialized)
struct BuiltInAgentTests {
    @Test("the task succeeds in iteration 2 through the CLI's own tool calls, planned by the CLI, its cost and turns recorded, its own files in no commit",
          arguments: AgentUnderTest.all)
    func succeedsOnTheSecondIteration(_ agent: AgentUnderTest) throws {
        let (project, server) = try agentRepository(agent)
        let outcome = try project.aee("task", "Make calc.sh add", "--agent", agent.name, "--model", agent.model, "--json")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let record = try project.json(outcome.stdout)
        #expect(record["state"] as? String == "SUCCEEDED")
        #expect(record["iteration"] as? Int == 2, "\(outcome.stderr)")
        let id = try #require(record["id"] as? String)
        #expect(try project.git("show", "aee/\(id):calc.sh").contains("$1 + $2"))

        // Iteration 1 wrote the wrong fix, through the CLI's own tool calls; iteration 2 was told why it failed.
        let first = try project.json(try project.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/1/gate_results.json"))
        #expect((first["passed"] as? Bool) == false)
        let bodies = try #require(server).requests.map(\.body)
        #expect(bodies.contains { $0.contains("expected 5") }, "the failure context never reached the model")

        // The plan came from the CLI where it can plan.
        let plan = try project.json(try project.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/2/open_plan.json"))
        #expect(plan["source"] as? String == (agent.plans ? "agent" : "fallback"), "\(plan)")
        let itemID = agent.plans ? "fix-add" : "task"

        // Cost and turns per work item, summed per iteration and per task.
        var total = Decimal(0)
        for iteration in 1...2 {
            let item = try project.json(try project.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/\(iteration)/work_item_\(itemID).json"))
            let usage = try #require(item["usage"] as? [String: Any])
            let cost = try #require(usage["cost_usd"] as? NSNumber, "no cost in \(usage)").decimalValue
            #expect(cost > 0)
            #expect((usage["turns"] as? Int ?? 0) > 0, "\(usage)")
            let summary = try project.json(try project.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/\(iteration)/work_items_summary.json"))
            let summed = try #require((summary["usage"] as? [String: Any])?["cost_usd"] as? NSNumber).decimalValue
            #expect(summed >= cost)
            total += summed
        }
        let recorded = try #require((record["usage"] as? [String: Any])?["cost_usd"] as? NSNumber).decimalValue
        #expect(abs(NSDecimalNumber(decimal: recorded - total).doubleValue) < 1e-9, "task \(recorded), iterations \(total)")

        // The CLI's whole output is kept with each call.
        let log = try project.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/1/work_item_\(itemID).agent.log")
        #expect(!log.isEmpty)

        // Nothing the CLI wrote for itself is in any commit.
        let paths = try project.git("log", "--all", "--name-only", "--format=")
        for own in agent.ownFiles { #expect(!paths.contains(own), "\(own) was committed: \(paths)") }
        #expect(try project.fsckIsClean())
    }

    @Test("--max-cost ends the task with 'budget' once the CLI's reported cost passes it", arguments: AgentUnderTest.all)
    func budget(_ agent: AgentUnderTest) throws {
        let (project, _) = try agentRepository(agent)
        let outcome = try project.aee("task", "Make calc.sh add", "--agent", agent.name, "--model", agent.model, "--max-cost", "0.000001", "--json")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let record = try project.json(outcome.stdout)
        #expect(record["exit_reason"] as? String == "budget", "\(record)")
        #expect(record["iteration"] as? Int == 1)
    }

    @Test("a tool command that hangs is gone after --timeout, nothing of it left running", arguments: AgentUnderTest.all.filter(\.runsCommands))
    func hangingCommand(_ agent: AgentUnderTest) throws {
        let (project, _) = try agentRepository(agent)
        let outcome = try project.aee("task", "Make calc.sh add, hang", "--agent", agent.name, "--model", agent.model, "--timeout", "25", "--json")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(try project.json(outcome.stdout)["exit_reason"] as? String == "timeout")
        let left = processesRunning("sleep 86399", under: project.root.path)
        #expect(left.isEmpty, "left running: \(left)")
    }

    @Test("an agent call that overruns aee.agentTimeout is recorded as timed out, in those words, not in the CLI's last event", arguments: AgentUnderTest.all.filter(\.runsCommands))
    func agentTimeout(_ agent: AgentUnderTest) throws {
        let (project, _) = try agentRepository(agent)
        try project.git("config", "aee.agentTimeout", "10")
        let outcome = try project.aee("task", "Make calc.sh add, hang", "--agent", agent.name, "--model", agent.model, "--max-iterations", "1", "--json")
        let id = try #require(try project.json(outcome.stdout)["id"] as? String)
        let files = try project.git("ls-tree", "-r", "--name-only", "aee/\(id)", ".aee/tasks/\(id)/iterations/1/").split(separator: "\n")
        let item = try #require(files.first { $0.contains("/work_item_") && $0.hasSuffix(".json") })
        let report = try #require(try project.json(try project.git("show", "aee/\(id):\(item)"))["agent"] as? [String: Any])
        #expect(report["status"] as? String == "timed_out", "\(report)")
        #expect((report["failure"] as? [String: Any])?["message"] as? String == "timed out after 10 s", "\(report)")
        #expect(processesRunning("sleep 86399", under: project.root.path).isEmpty)
    }

    @Test("Ctrl-C mid-call: exit 130, the call recorded as killed by the interrupt (Claude Code exits 0 on it), the task BLOCKED interrupted", arguments: AgentUnderTest.all.filter(\.runsCommands))
    func interruptedCall(_ agent: AgentUnderTest) throws {
        let (project, _) = try agentRepository(agent)
        let process = try project.start(["task", "Make calc.sh add, hang", "--agent", agent.name, "--model", agent.model])
        #expect(waitUntil(seconds: 60) { !processesRunning("sleep 86399", under: project.root.path).isEmpty })
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let id = try project.onlyTaskID()
        #expect(try project.artifact(id, "task.json")["exit_reason"] as? String == "interrupted")
        let files = try project.git("ls-tree", "-r", "--name-only", "aee/\(id)", ".aee/tasks/\(id)/iterations/1/").split(separator: "\n")
        let item = try #require(files.first { $0.contains("/work_item_") && $0.hasSuffix(".json") })
        let report = try #require(try project.json(try project.git("show", "aee/\(id):\(item)"))["agent"] as? [String: Any])
        #expect(report["status"] as? String == "killed", "\(report)")
        #expect((report["failure"] as? [String: Any])?["message"] as? String == "stopped: git aee was interrupted (SIGINT (2))", "\(report)")
    }

    @Test("no API key at all ends the task at once with agent_error, not after three tries", arguments: AgentUnderTest.all.filter { ["codex", "mini-swe-agent"].contains($0.name) })
    func missingKey(_ agent: AgentUnderTest) throws {
        let (project, _) = try agentRepository(agent)
        project.environment["OPENAI_API_KEY"] = nil
        let outcome = try project.aee("task", "Make calc.sh add", "--agent", agent.name, "--model", agent.model, "--json")
        let record = try project.json(outcome.stdout)
        #expect(record["exit_reason"] as? String == "agent_error", "\(record)")
        #expect(record["iteration"] as? Int == 1, "the missing key was retried: \(record["exit_detail"] ?? "")")
    }

    @Test("an endpoint that cannot be reached, or refuses the key, ends the task at once with agent_error and the CLI's words",
          arguments: AgentUnderTest.all, [ModelBehaviour.unreachable, .refusingKeys])
    func modelUnavailable(_ agent: AgentUnderTest, _ behaviour: ModelBehaviour) throws {
        let (project, _) = try agentRepository(agent, model: behaviour)
        let started = Date()
        let outcome = try project.aee("task", "Make calc.sh add", "--agent", agent.name, "--model", agent.model, "--json")
        let seconds = Date().timeIntervalSince(started)
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let record = try project.json(outcome.stdout)
        #expect(record["exit_reason"] as? String == "agent_error", "\(record)")
        #expect(record["iteration"] as? Int == 1, "the failure was retried")
        let detail = record["exit_detail"] as? String ?? ""
        #expect(detail.hasPrefix("the agent failed: "), "\(detail)")
        print("\(agent.name), model \(behaviour): agent_error after \(Int(seconds)) s: \(detail)")
    }

    @Test("a flag the CLI does not have ends the task at once with agent_error and the CLI's own message", arguments: AgentUnderTest.all)
    func usageError(_ agent: AgentUnderTest) throws {
        let (project, server) = try agentRepository(agent)
        try project.write(".aee/config.json", """
            {"version": 1, "agent": {"kind": "\(agent.name)", "model": "\(agent.model)", "args": ["--no-such-flag"], "timeout_seconds": 60},
             "gates": {"tests": {"run": "sh test.sh"}}, "default_gates": ["tests"]}

            """)
        try project.git("commit", "-qam", "a team config with a bad flag")
        let outcome = try project.aee("task", "Make calc.sh add", "--json")
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let record = try project.json(outcome.stdout)
        #expect(record["exit_reason"] as? String == "agent_error", "\(record)")
        #expect(record["iteration"] as? Int == 1)
        #expect((record["exit_detail"] as? String ?? "").contains("no-such-flag"), "\(record)")
        #expect(try #require(server).requests.isEmpty, "the model was asked anyway")
    }

    @Test("on a terminal the progress line shows what the agent is doing now, from the CLI's event stream",
          arguments: AgentUnderTest.all.filter { ["claude-code", "codex"].contains($0.name) })
    func liveActivity(_ agent: AgentUnderTest) throws {
        let (project, _) = try agentRepository(agent)
        // script(1) gives git aee a terminal; the command hangs, so the line has seconds to show it.
        let outcome = try project.run("/usr/bin/script", ["-qec", "'\(Scratch.binary)' task 'Make calc.sh add, hang' --agent \(agent.name) --model \(agent.model) --timeout 8",
                                                          "/dev/null"])
        #expect(outcome.stdout.contains("sleep 86399"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("Bash: "), "\(outcome.stdout)")
    }

    @Test("Claude Code is refused git commit; the refusal is in the work item's record and on screen", .enabled(if: AgentUnderTest.claudeCode.installed))
    func claudeCodeDenial() throws {
        let agent = AgentUnderTest.claudeCode
        let (project, _) = try agentRepository(agent)
        let outcome = try project.aee("task", "Make calc.sh add, deny", "--agent", agent.name, "--model", agent.model, "--json")
        let id = try #require(try project.json(outcome.stdout)["id"] as? String)
        let item = try project.json(try project.git("show", "aee/\(id):.aee/tasks/\(id)/iterations/1/work_item_fix-add.json"))
        let denials = (item["agent"] as? [String: Any])?["permission_denials"] as? [String] ?? []
        #expect(denials.contains { $0.contains("git commit") }, "\(item)")
        #expect(outcome.stderr.contains("the agent was refused Bash: git commit"), "\(outcome.stderr)")
        #expect(try project.git("log", "--all", "--format=%s").contains("sneaky") == false)
    }
}

/// The pids of processes whose command line contains `text` and whose working directory is under `directory` (the
/// test's own: other runs on the machine may run the same story).
func processesRunning(_ text: String, under directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
        return cwd.hasPrefix(directory) && String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}

@Suite("choosing a built-in agent")
struct BuiltInAgentChoiceTests {
    @Test("a built-in agent whose CLI is not installed stops the run before anything is written, naming what to install")
    func notInstalled() throws {
        let repo = try calculatorRepository()
        repo.environment["PATH"] = "/usr/bin:/bin"
        let before = try repo.refs()
        let outcome = try repo.aee("task", "Fix it", "--agent", "codex")
        #expect(outcome.status == 128)
        #expect(outcome.stderr.hasPrefix("fatal: the agent codex runs 'codex', which is not on PATH\nhint: install the Codex CLI"), "\(outcome.stderr)")
        #expect(try repo.refs() == before)
    }

    @Test("mini-swe-agent without a model is refused before anything is written (it would stop at once); MSWEA_MODEL_NAME or its global .env names one")
    func miniNeedsAModel() throws {
        let repo = try calculatorRepository()
        try repo.standIn("mini", "exit 0")
        let refs = try repo.refs()
        let refused = try repo.aee("task", "Fix it", "--agent", "mini-swe-agent")
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: the agent mini-swe-agent needs a model"), "\(refused.stderr)")
        #expect(try repo.refs() == refs)
        #expect(try repo.aee("task", "Fix it", "--agent", "mini-swe-agent", "--max-iterations", "1", environment: ["MSWEA_MODEL_NAME": "openai/gpt-5.5"]).status != 128)
        let config = repo.root.appendingPathComponent("home/mini-swe-agent")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try "MSWEA_MODEL_NAME='openai/gpt-5.5'\n".write(to: config.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
        #expect(try repo.aee("task", "Fix it", "--agent", "mini-swe-agent", "--max-iterations", "1").status != 128)
    }

    @Test("aider without a model is refused (it would pick a provider by whichever key it finds); with one it is the model it is told")
    func aiderNeedsAModel() throws {
        let repo = try calculatorRepository()
        // A stand-in for aider that says which model it was given and changes nothing.
        try repo.standIn("aider", "for a; do [ \"$prev\" = --model ] && echo \"$a\" > '\(repo.root.path)/model'; prev=$a; done\nexit 0")
        let refused = try repo.aee("task", "Fix it", "--agent", "aider")
        #expect(refused.status == 128)
        #expect(refused.stderr.hasPrefix("fatal: the agent aider needs a model"), "\(refused.stderr)")
        #expect(refused.stderr.contains("hint: pass --model"))
        try repo.git("config", "aee.model", "openai/gpt-5.5")
        _ = try repo.aee("task", "Fix it", "--agent", "aider", "--max-iterations", "1")
        #expect(try repo.mark("model") == "openai/gpt-5.5")
    }

    @Test("a CLI's bare name or a misspelt built-in name is refused with the name to use; --model with a command agent is refused")
    func misnamedAgents() throws {
        let repo = try calculatorRepository()
        try repo.standIn("claude", "touch '\(repo.root.path)/ran'")
        let before = try repo.refs()
        for (typed, meant) in [("claude", "claude-code"), ("claude_code", "claude-code"), ("mini", "mini-swe-agent")] {
            let outcome = try repo.aee("task", "Fix it", "--agent", typed)
            #expect(outcome.status == 128)
            #expect(outcome.stderr.hasPrefix("fatal: '\(typed)' is not an agent git aee knows: the built-in agent is '\(meant)'\nhint: pass --agent \(meant)"), "\(outcome.stderr)")
        }
        let model = try repo.aee("task", "Fix it", "--agent", exampleAgent("learner"), "--model", "x")
        #expect(model.status == 128)
        #expect(model.stderr.hasPrefix("fatal: --model is for a built-in agent"), "\(model.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.root.appendingPathComponent("ran").path))
        #expect(try repo.refs() == before)
    }

    @Test("a model goes with its agent: the task's remembered one on a rerun, aee.model only with aee.agent's agent")
    func modelFollowsItsAgent() throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        // A stand-in Claude Code that notes its model; its first call interrupts the run (the task is BLOCKED,
        // remembering agent and model), later ones fail.
        try repo.standIn("claude", """
            for a; do [ "$prev" = --model ] && echo "$a" >> '\(marks)/models'; prev=$a; done
            if [ ! -e '\(marks)/once' ]; then touch '\(marks)/once'; kill -INT $PPID; sleep 5; fi
            exit 1
            """)
        try repo.git("config", "aee.agent", "codex")
        try repo.git("config", "aee.model", "gpt-5.5")
        let first = try repo.aee("task", "Fix it", "--agent", "claude-code", "--model", "claude-sonnet-4-6")
        #expect(first.status == 130, "\(first.stderr)")
        let id = try repo.onlyTaskID()
        // Rerun without flags: the task's agent with its model, not aee.model, which goes with aee.agent (codex).
        _ = try repo.aee("run", id)
        let models = try repo.mark("models").split(separator: "\n").map(String.init)
        #expect(models.count >= 2 && Set(models) == ["claude-sonnet-4-6"], "\(models)")
    }

    @Test("--max-cost with an agent that reports no cost says once that the budget cannot stop the run")
    func unknownCostWarned() throws {
        let repo = try calculatorRepository(fixed: true)
        // A stand-in Codex that reports tokens, on a model without a price.
        try repo.standIn("codex", #"echo '{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":5}}'"#)
        let outcome = try repo.aee("task", "Fix it", "--agent", "codex", "--model", "unpriced", "--max-cost", "1")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let warning = "warning: the agent reported no cost, so --max-cost cannot stop this run (name a model whose price git aee knows: docs/agents.md)"
        #expect(outcome.stderr.components(separatedBy: warning).count == 2, "\(outcome.stderr)")
        // `show` names the agent and model the task ran with, and a budget under a cent as it is.
        let shown = try repo.aee("show", try repo.onlyTaskID()).stdout
        #expect(shown.contains("agent      codex, model unpriced\n"), "\(shown)")
        let small = try repo.aee("task", "Small", "--draft", "--max-cost", "0.0001")
        #expect(try repo.aee("show", small.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).stdout.contains("budget     $0.0001\n"))
    }

    @Test("the team's arguments to a built-in agent need approval, also when you name that agent yourself")
    func teamArgumentsNeedApproval() throws {
        let repo = try calculatorRepository()
        try repo.standIn("claude", "echo \"$@\" >> '\(repo.root.path)/arguments'")
        repo.environment["AEE_TRUST"] = nil
        try repo.write(".aee/config.json", #"{"version": 1, "agent": {"kind": "claude-code", "args": ["--settings", "hooks that run anything"]}, "gates": {}, "default_gates": []}"# + "\n")
        try repo.git("commit", "-qam", "a team agent with arguments")
        try repo.git("config", "aee.agent", "claude-code")
        let refused = try repo.aee("task", "Fix it")
        #expect(refused.status == 128, "\(refused.stderr)")
        #expect(refused.stderr.contains("claude-code --settings 'hooks that run anything'"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repo.root.appendingPathComponent("arguments").path))
        #expect(try repo.aee("trust").status == 0)
        _ = try repo.aee("task", "Fix it", "--max-iterations", "1")
        #expect(try repo.mark("arguments").contains("--settings hooks that run anything"))
    }
}

extension Scratch {
    /// A shell script named `program`, first on PATH, standing in for a CLI the test does not need for real.
    func standIn(_ program: String, _ body: String) throws {
        let bin = root.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        _ = try agentScript("bin/" + program, "#!/bin/sh\n" + body + "\n")
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "")
    }
}
