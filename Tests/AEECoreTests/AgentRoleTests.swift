import Foundation
import Testing
@testable import AEECore

/// `.aee/config.json`'s agents per stage and review gates, as read.
@Suite("an agent per stage, and review gates, in the project's config")
struct AgentRoleTests {
    static func config(_ agent: String, gates: String = #""tests": {"run": "true"}"#) throws -> ProjectConfig {
        try JSONInput.decode(ProjectConfig.self, from: Array(#"{"version": 1, "agent": \#(agent), "gates": {\#(gates)}}"#.utf8), file: ".aee/config.json")
    }

    @Test("a stage's agent is a built-in agent's name, a command, or an object with its kind and model")
    func roles() throws {
        let agent = try Self.config(#"{"command": "./work.sh", "plan": {"kind": "claude-code", "model": "opus"}, "execute": "aider", "review": "./review.sh"}"#).agent
        #expect(agent.role(for: .plan)?.choice == .builtIn(.claudeCode, model: "opus", arguments: []))
        #expect(agent.role(for: .execute)?.choice == .builtIn(.aider, model: nil, arguments: []))
        #expect(agent.role(for: .review)?.choice == .command("./review.sh"))
        #expect(try Self.config(#"{"command": "./work.sh"}"#).agent.role(for: .plan) == nil)
    }

    @Test("a stage's agent that is unclear is refused with its path", arguments: [
        (#"{"plan": {"kind": "claude"}}"#, "agent.plan.kind"),
        (#"{"review": {"command": "x", "model": "m"}}"#, "agent.review.model"),
        (#"{"execute": {"model": "m"}}"#, "agent.execute.model"),
        (#"{"execute": {}}"#, "agent.execute"),
        (#"{"plan": ""}"#, "agent.plan"),
        (#"{"plan": {"command": "x", "color": "red"}}"#, "agent.plan.color"),
    ])
    func refused(agent: String, path: String) {
        #expect { try Self.config(agent) } throws: { "\($0)".contains("'\(path)'") }
    }

    @Test("allow_self_review belongs to review gates only")
    func selfReviewKey() throws {
        let gate = try #require(try Self.config("{}", gates: #""review": {"builtin": "review", "allow_self_review": true}"#).gates["review"])
        #expect(gate.isReview && gate.allowSelfReview == true)
        #expect { try Self.config("{}", gates: #""tests": {"run": "true", "allow_self_review": true}"#) } throws: { "\($0)".contains("allow_self_review") }
    }

    @Test("a gate's definition without allow_self_review encodes as before, so its cached passes still count")
    func digestUnchanged() throws {
        let definition = GateDefinition(run: "make test")
        #expect(String(decoding: try CanonicalJSON.compact(definition), as: UTF8.self) == #"{"env":{},"needs":[],"run":"make test","timeout_seconds":600}"#)
    }
}
