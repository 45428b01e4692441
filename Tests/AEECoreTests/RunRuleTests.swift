import Testing
@testable import AEECore

/// The run's stop rules, in-process: every way a run ends, decided from the limits, the run's counts and an outcome.
@Suite("the run's stop rules")
struct RunRuleTests {
    let rule = RunRule(maxIterations: 5, stallLimit: 3, maxAgentFailures: 3)

    func gates(_ names: String...) -> FailureContext {
        FailureContext(iteration: 1, reason: .gatesFailed,
                       failedGates: names.map { .init(gate: $0, status: "failed", exitCode: 1, outputTail: "") }, agent: nil, filesChanged: [],
                       signature: "gates:" + names.joined(separator: ","))
    }

    func agent(exitCode: Int32 = 1, failure: AgentFailure? = nil) -> FailureContext {
        FailureContext(iteration: 1, reason: .agentFailed, failedGates: [],
                       agent: .init(stage: "execute", workItem: "a", status: "failed", exitCode: exitCode, outputTail: "warming up\nno such model", failure: failure),
                       filesChanged: [], signature: "agent:\(exitCode)")
    }

    @Test("an iteration may start while iterations are left")
    func start() {
        #expect(rule.start(iteration: 5) == .next)
        #expect(rule.start(iteration: 6) == .stop(.maxIterations, detail: "no iterations left (5 allowed)"))
    }

    @Test("passing ends the run done; a stopped iteration ends it for its reason, with its detail", arguments: [
        ExitReason.blocked, .canceled, .interrupted, .timeout, .budget,
    ])
    func passThrough(reason: ExitReason) {
        #expect(rule.after(iteration: 1, .passed, overBudget: nil, counts: .init()).0 == .stop(.done, detail: nil))
        let (decision, counts) = rule.after(iteration: 2, .stopped(reason, detail: "why"), overBudget: nil, counts: .init(signatures: ["x"], agentFailures: 1))
        #expect(decision == .stop(reason, detail: "why"))
        #expect(counts == .init(signatures: ["x"], agentFailures: 1), "a stop counts no failure")
    }

    @Test("a failed iteration goes on while iterations are left and failures differ, counting its signature")
    func failedGoesOn() {
        let (decision, counts) = rule.after(iteration: 2, .failed(gates("tests")), overBudget: nil, counts: .init(signatures: ["gates:lint"]))
        #expect(decision == .next)
        #expect(counts == .init(signatures: ["gates:lint", "gates:tests"], agentFailures: 0))
    }

    @Test("the last iteration failing ends the run max_iterations")
    func lastIteration() {
        let (decision, _) = rule.after(iteration: 5, .failed(gates("tests", "lint")), overBudget: nil, counts: .init())
        #expect(decision == .stop(.maxIterations, detail: "5 iterations, the last one failing: gates tests, lint did not pass"))
        #expect(RunRule(maxIterations: 1, stallLimit: 3, maxAgentFailures: 3).after(iteration: 1, .failed(gates("t")), overBudget: nil, counts: .init()).0
                == .stop(.maxIterations, detail: "1 iteration, the last one failing: gates t did not pass"))
    }

    @Test("the same failure stall_limit times in a row ends the run stalled; a different one in between does not")
    func stall() {
        let twice = RunRule.Counts(signatures: ["gates:tests", "gates:tests"])
        #expect(rule.after(iteration: 3, .failed(gates("tests")), overBudget: nil, counts: twice).0
                == .stop(.stalled, detail: "the same failure 3 iterations in a row: gates tests did not pass"))
        let broken = RunRule.Counts(signatures: ["gates:tests", "gates:lint"])
        #expect(rule.after(iteration: 3, .failed(gates("tests")), overBudget: nil, counts: broken).0 == .next)
    }

    @Test("over budget after a failure ends the run budget, before any other rule")
    func budget() {
        let twice = RunRule.Counts(signatures: ["agent:1", "agent:1"], agentFailures: 2)
        let (decision, counts) = rule.after(iteration: 5, .failed(agent()), overBudget: "the agents reported $2.00, over the $1.00 allowed", counts: twice)
        #expect(decision == .stop(.budget, detail: "the agents reported $2.00, over the $1.00 allowed"))
        #expect(counts.agentFailures == 3)
    }

    @Test("the agent failing max_failures times ends the run agent_error, quoting why its CLI failed or else its last line; one that cannot be helped ends it at once")
    func agentError() {
        let (once, counts) = rule.after(iteration: 1, .failed(agent()), overBudget: nil, counts: .init())
        #expect(once == .next)
        #expect(counts == .init(signatures: ["agent:1"], agentFailures: 1))
        let (third, _) = rule.after(iteration: 3, .failed(agent()), overBudget: nil, counts: .init(signatures: ["agent:1", "gates:t"], agentFailures: 2))
        #expect(third == .stop(.agentError, detail: "the agent failed 3 times: no such model"))
        let (missing, _) = rule.after(iteration: 1, .failed(agent(exitCode: 127)), overBudget: nil, counts: .init())
        #expect(missing == .stop(.agentError, detail: "the agent failed: no such model"))
        let refused = AgentFailure(kind: .api, message: "invalid x-api-key")
        #expect(rule.after(iteration: 1, .failed(agent(failure: refused)), overBudget: nil, counts: .init()).0 == .stop(.agentError, detail: "the agent failed: invalid x-api-key"))
        let busy = AgentFailure(kind: .agent, message: "overloaded")
        #expect(rule.after(iteration: 1, .failed(agent(failure: busy)), overBudget: nil, counts: .init()).0 == .next)
    }
}
