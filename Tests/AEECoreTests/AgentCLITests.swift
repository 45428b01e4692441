import Foundation
import Testing
@testable import AEECore

/// What each built-in agent makes of its CLI's output, on lines shaped as the real CLIs print them (the shapes come
/// from runs of the real CLIs against the scripted model; `make test-agents` drives the CLIs themselves).
@Suite("the built-in agents read their CLIs' output")
struct AgentCLITests {
    func call(_ stage: AgentStage = .execute, model: String? = nil) -> AgentCLICall {
        AgentCLICall(stage: stage, prompt: "Task x: y", promptFile: "/s/prompt.txt", scratch: "/s/", model: model, extraArguments: [],
                     budgetUSD: nil, prices: ModelPrices())
    }

    func output(_ text: String, exitCode: Int32? = 0, files: [String: String] = [:]) -> AgentCLIOutput {
        AgentCLIOutput(bytes: Array(text.utf8), exitCode: exitCode, timedOut: false, files: files.mapValues { Array($0.utf8) })
    }

    @Test("Claude Code: cost, turns and refused tool calls from its result line; the live line from its tool calls")
    func claudeCodeResult() {
        let stream = """
            {"type":"system","subtype":"init","cwd":"/w","tools":["Read","Bash"]}
            {"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Write","input":{"file_path":"/w/src/calc.sh","content":"x"}}]}}
            {"type":"system","subtype":"permission_denied","tool_name":"Bash","message":"Permission to use Bash with command git commit -am sneaky has been denied."}
            {"type":"result","subtype":"success","is_error":false,"num_turns":4,"result":"Done.","total_cost_usd":0.167328,"permission_denials":[{"tool_name":"Bash","tool_use_id":"t3","tool_input":{"command":"git commit -am sneaky"}}]}
            """
        let reading = ClaudeCode().reading(of: output(stream), for: call())
        #expect(reading.usage == Usage(costUSD: Decimal(string: "0.167328"), turns: 4))
        #expect(reading.denials == ["Bash: git commit -am sneaky"])
        #expect(reading.message == "Done.")
        #expect(reading.failure == nil)
        let lines = stream.split(separator: "\n")
        #expect(ClaudeCode().activity(in: lines[1]) == "Write calc.sh")
        #expect(ClaudeCode().activity(in: lines[0]) == nil)
    }

    @Test("Claude Code: an API error ends as 'success' with is_error; a budget stop; a refused flag; the plan from structured_output")
    func claudeCodeFailures() throws {
        let api = ClaudeCode().reading(of: output(#"{"type":"result","subtype":"success","is_error":true,"result":"API Error: Connection refused (ECONNREFUSED)","num_turns":1,"total_cost_usd":0}"#, exitCode: 1), for: call())
        #expect(api.failure == AgentFailure(kind: .api, message: "API Error: Connection refused (ECONNREFUSED)"))
        let budget = ClaudeCode().reading(of: output(#"{"type":"result","subtype":"error_max_budget_usd","is_error":true,"errors":["Reached maximum budget ($0.01)"],"total_cost_usd":0.02}"#, exitCode: 1), for: call())
        #expect(budget.failure?.kind == .budget)
        #expect(budget.usage.costUSD == Decimal(string: "0.02"))
        // `api_error_status` is there, null, on every result; an overloaded API is tried again, not the end of the run.
        let turns = ClaudeCode().reading(of: output(#"{"type":"result","subtype":"error_max_turns","is_error":true,"api_error_status":null,"errors":["Reached maximum number of turns (3)"]}"#, exitCode: 1), for: call())
        #expect(turns.failure?.kind == .agent)
        let overloaded = ClaudeCode().reading(of: output(#"{"type":"result","subtype":"success","is_error":true,"api_error_status":529,"result":"API Error: 529 overloaded"}"#, exitCode: 1), for: call())
        #expect(overloaded.failure?.kind == .agent)
        let flag = ClaudeCode().reading(of: output("error: unknown option '--no-such-flag'\n", exitCode: 1), for: call())
        #expect(flag.failure == AgentFailure(kind: .usage, message: "error: unknown option '--no-such-flag'"))
        let plan = ClaudeCode().reading(of: output(#"{"type":"result","subtype":"success","is_error":false,"result":"","structured_output":{"summary":"s","work_items":[{"id":"a","title":"A","description":""}]}}"#), for: call(.plan))
        let bytes = try #require(plan.result)
        #expect(JSONValue.parse(bytes)?["work_items"]?.array.count == 1)
    }

    @Test("Codex: tokens priced by model (cached input at its own price); unknown model, unknown cost; exit 2 is a usage error")
    func codex() {
        let stream = """
            {"type":"thread.started","thread_id":"t"}
            {"type":"item.started","item":{"id":"i0","type":"command_execution","command":"/bin/bash -lc 'sh test.sh'","status":"in_progress"}}
            {"type":"item.completed","item":{"id":"i1","type":"reasoning","text":"thinking"}}
            {"type":"item.completed","item":{"id":"i2","type":"agent_message","text":"Done."}}
            {"type":"turn.completed","usage":{"input_tokens":30000,"cached_input_tokens":10000,"output_tokens":200}}
            """
        let priced = Codex().reading(of: output(stream), for: call(model: "gpt-5.5"))
        // 20000 × 1.25 + 10000 × 0.125 + 200 × 10, per million.
        #expect(priced.usage == Usage(costUSD: Decimal(string: "0.02825"), turns: 1))
        #expect(priced.message == "Done.")
        #expect(Codex().reading(of: output(stream), for: call(model: "someone-elses")).usage.costUSD == nil)
        // `agent.prices` prices a model the table lacks, or overrides one it has; cached input without its own
        // price is priced as input.
        let own = AgentCLICall(stage: .execute, prompt: "p", promptFile: "/s/p", scratch: "/s/", model: "someone-elses", extraArguments: [], budgetUSD: nil,
                               prices: ModelPrices(overrides: ["someone-elses": TokenPrice(input: 2, output: 8)]))
        #expect(Codex().reading(of: output(stream), for: own).usage.costUSD == Decimal(string: "0.0616"))
        #expect(Codex().activity(in: stream.split(separator: "\n")[1]) == "Bash: /bin/bash -lc 'sh test.sh'")
        let failed = Codex().reading(of: output(#"{"type":"turn.failed","error":{"message":"unexpected status 401 Unauthorized: invalid x-api-key"}}"#, exitCode: 1), for: call())
        #expect(failed.failure?.kind == .api)
        #expect(Codex().reading(of: output("error: unexpected argument '--bogus' found\n", exitCode: 2), for: call()).failure?.kind == .usage)
        // A retry is reported as an `error` event; the turn that then completed is a success.
        let retried = Codex().reading(of: output(#"{"type":"error","message":"Reconnecting... 1/5 (stream disconnected before completion)"}"# + "\n" + stream), for: call(model: "gpt-5.5"))
        #expect(retried.failure == nil)
    }

    @Test("aider: cost and turns from its analytics log; no reply is a failure whatever its exit status; the plan from its reply")
    func aider() throws {
        let analytics = """
            {"event": "launched", "properties": {}}
            {"event": "message_send", "properties": {"cost": 0.0032, "total_cost": 0.0032}}
            {"event": "message_send", "properties": {"cost": 0.0011, "total_cost": 0.0043}}
            """
        let done = Aider().reading(of: output("Applied edit to calc.sh\n", files: [Aider.analyticsFile: analytics]), for: call())
        #expect(done.usage == Usage(costUSD: Decimal(string: "0.0043"), turns: 2))
        #expect(done.failure == nil)
        let refused = Aider().reading(of: output("litellm.AuthenticationError: AuthenticationError: OpenAIException - invalid x-api-key\nThe API provider is not able to authenticate you.\n"), for: call())
        #expect(refused.failure?.kind == .api)
        #expect(refused.failure?.message.hasPrefix("litellm.AuthenticationError") == true)
        #expect(Aider().givesUp(on: "litellm.InternalServerError: InternalServerError: OpenAIException - Connection error."))
        #expect(!Aider().givesUp(on: "Retrying in 0.2 seconds..."))
        let plan = Aider().reading(of: output(#"Here is the plan: {"summary": "s", "work_items": [{"id": "a", "title": "A {x}"}]} Good luck."#, files: [Aider.analyticsFile: analytics]), for: call(.plan))
        #expect(plan.result.flatMap { JSONValue.parse($0) }?["summary"]?.string == "s")
    }

    @Test("mini-swe-agent: cost and calls from its trajectory; its cost limit is the budget; it does not plan")
    func miniSWEAgent() {
        let trajectory = #"{"info": {"exit_status": "LimitsExceeded", "submission": "", "model_stats": {"instance_cost": 0.014256, "api_calls": 4}}}"#
        let reading = MiniSWEAgent().reading(of: output("", files: [MiniSWEAgent.trajectoryFile: trajectory]), for: call())
        #expect(reading.usage == Usage(costUSD: Decimal(string: "0.014256"), turns: 4))
        // Its own configuration's limit is not the task's budget; the one git aee gave it is.
        #expect(reading.failure?.kind == .agent)
        let limited = AgentCLICall(stage: .execute, prompt: "p", promptFile: "/s/p", scratch: "/s/", model: nil, extraArguments: [], budgetUSD: Decimal(string: "0.01"),
                                   prices: ModelPrices())
        #expect(MiniSWEAgent().reading(of: output("", files: [MiniSWEAgent.trajectoryFile: trajectory]), for: limited).failure?.kind == .budget)
        #expect(MiniSWEAgent().invocation(for: call(.plan)) == nil)
        // A prompt too long for one argument is cut, naming the file that holds it all.
        let long = AgentCLICall(stage: .execute, prompt: String(repeating: "x", count: 200_000), promptFile: "/s/prompt.txt", scratch: "/s/", model: nil,
                                extraArguments: [], budgetUSD: nil, prices: ModelPrices())
        let task = MiniSWEAgent.task(long)
        #expect(task.utf8.count < 128 * 1024)
        #expect(task.hasSuffix("[... the prompt goes on in /s/prompt.txt]\n"))
    }

    @Test("review: read-only and answered to the verdict's schema where the CLI can; the verdict read from its answer; mini-swe-agent cannot review")
    func review() throws {
        let claude = try #require(ClaudeCode().invocation(for: call(.review)))
        #expect(claude.arguments.contains("Read,Glob,Grep") && !claude.arguments.contains("Edit"))
        #expect(claude.arguments.contains(AnswerText.reviewSchema))
        let verdict = #"{"type":"result","subtype":"success","is_error":false,"result":"","structured_output":{"verdict":"request_changes","comments":["x"]}}"#
        #expect(ClaudeCode().reading(of: output(verdict), for: call(.review)).result.flatMap { JSONValue.parse($0) }?["verdict"]?.string == "request_changes")
        let codex = try #require(Codex().invocation(for: call(.review)))
        #expect(codex.arguments.contains("read-only") && codex.files[Codex.schemaFile] == AnswerText.reviewSchema)
        let aider = try #require(Aider().invocation(for: call(.review)))
        #expect(aider.arguments.contains("ask"))
        let reply = "I read it.\n{\"verdict\": \"approve\", \"comments\": []}\n"
        #expect(AnswerText.json(in: reply, having: AnswerText.key(for: .review)).flatMap { JSONValue.parse($0) }?["verdict"]?.string == "approve")
        #expect(MiniSWEAgent().invocation(for: call(.review)) == nil)
    }

    @Test("a plan in text: the last JSON object with work_items, braces in strings respected")
    func planText() {
        #expect(AnswerText.json(in: "no plan here", having: "work_items") == nil)
        let text = #"first {"a": 1} then {"work_items": [{"title": "x}"}], "summary": "one"} and {"work_items": [], "summary": "two"}"#
        #expect(AnswerText.json(in: text, having: "work_items").flatMap { JSONValue.parse($0) }?["summary"]?.string == "two")
    }

    @Test("agent settings: a kind must be a built-in agent, not beside a command; model and args only with a kind")
    func agentSettings() throws {
        func decode(_ agent: String) throws -> ProjectConfig {
            try JSONInput.decode(ProjectConfig.self, from: Array(#"{"version": 1, "agent": \#(agent)}"#.utf8), file: "config")
        }
        #expect(try decode(#"{"kind": "codex", "model": "gpt-5.5", "args": ["-c", "x=1"]}"#).agent.choice == .builtIn(.codex, model: "gpt-5.5", arguments: ["-c", "x=1"]))
        #expect(try decode(#"{"command": "claude-code"}"#).agent.choice == .builtIn(.claudeCode, model: nil, arguments: []))
        let priced = try decode(#"{"kind": "codex", "prices": {"local": {"input_usd_per_mtok": 0.5, "output_usd_per_mtok": 2}}}"#).agent.prices
        #expect(priced?["local"] == TokenPrice(input: Decimal(string: "0.5")!, output: 2))
        #expect(throws: ConfigError.self) { try decode(#"{"kind": "cursor"}"#) }
        // The error names the whole path, as a gate's does.
        let error = #expect(throws: ConfigError.self) { try decode(#"{"command": "x", "timeout_seconds": 0}"#) }
        #expect(error.map { "\($0)".contains("'agent.timeout_seconds'") } == true, "\(String(describing: error))")
        #expect(throws: ConfigError.self) { try decode(#"{"kind": "aider", "command": "aider"}"#) }
        #expect(throws: ConfigError.self) { try decode(#"{"command": "x", "model": "m"}"#) }
        // A built-in agent as the team has it needs no approval; with arguments, which can start programs, it does.
        #expect(AgentChoice("aider", model: nil, arguments: []).approvable == nil)
        #expect(AgentChoice("aider", model: nil, arguments: ["--lint-cmd", "x"]).approvable == "aider --lint-cmd x")
        #expect(AgentChoice("aider", model: nil, arguments: ["--x", "a b"]).approvable != AgentChoice("aider", model: nil, arguments: ["--x a", "b"]).approvable)
    }
}
