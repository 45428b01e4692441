#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The run's stop rules: whether another iteration starts, and what follows one that ended, as a pure function of the
/// limits, what the run has been through so far and the iteration's outcome. The runner performs what it decides.
struct RunRule {
    let maxIterations: Int
    /// How many iterations in a row may fail the same way before the run is `stalled`.
    let stallLimit: Int
    /// How many agent failures end the run with `agent_error`.
    let maxAgentFailures: Int

    /// What this run has been through, for its rules: its failed iterations' signatures, oldest first, and how many
    /// times its agent failed (a failure that cannot be helped by trying again counts as reaching the limit).
    struct Counts: Equatable {
        var signatures: [String] = []
        var agentFailures = 0
    }

    enum Decision: Equatable {
        /// Another iteration.
        case next
        case stop(ExitReason, detail: String?)
    }

    /// Before iteration `number`: whether there is one left.
    func start(iteration number: Int) -> Decision {
        number <= maxIterations ? .next : .stop(.maxIterations, detail: "no iterations left (\(maxIterations) allowed)")
    }

    /// After iteration `number`, which ended with `outcome`, with the task `overBudget` (why, when it is): the decision,
    /// and `counts` with this iteration in them.
    func after(iteration number: Int, _ outcome: Attempt.Outcome, overBudget: String?, counts: Counts) -> (Decision, Counts) {
        switch outcome {
        case .passed:
            return (.stop(.done, detail: nil), counts)
        case .stopped(let reason, let detail):
            return (.stop(reason, detail: detail), counts)
        case .failed(let failure):
            var counts = counts
            if let agent = failure.agent {
                counts.agentFailures = agent.endsTheRun ? max(counts.agentFailures + 1, maxAgentFailures) : counts.agentFailures + 1
            }
            if let overBudget { return (.stop(.budget, detail: overBudget), counts) }
            if counts.agentFailures >= maxAgentFailures {
                // Why the CLI failed, when its output told (or git aee stopped it), else its last line.
                let words = (failure.agent?.failure?.message ?? failure.agent?.outputTail.split(whereSeparator: \.isNewline).last.map(String.init))
                    .map { ": " + $0.excerpt(200) } ?? ""
                // A failure that ends the run at once (the agent cannot be run, or its model's API cannot be used) is
                // one failure, however it counts towards the limit.
                let times = failure.agent?.endsTheRun == true ? "failed"
                    : "failed \(counts.agentFailures) time\(counts.agentFailures == 1 ? "" : "s")"
                return (.stop(.agentError, detail: "the agent \(times)" + words), counts)
            }
            counts.signatures.append(failure.signature)
            if counts.signatures.count >= stallLimit, Set(counts.signatures.suffix(stallLimit)).count == 1 {
                return (.stop(.stalled, detail: "the same failure \(stallLimit) iterations in a row: " + failure.summary), counts)
            }
            if number == maxIterations {
                return (.stop(.maxIterations, detail: "\(number) iteration\(number == 1 ? "" : "s"), the last one failing: " + failure.summary), counts)
            }
            return (.next, counts)
        }
    }
}

extension TaskRecord {
    /// Why the task is over its `--max-cost`, or nil when it is not.
    var overBudget: String? {
        guard let limit = metadata.maxCostUSD, let spent = usage?.costUSD, let allowed = Decimal(string: String(limit)), spent > allowed
        else { return nil }
        return "the agents reported $\(spent.dollars), over the $\(limit.dollars) allowed"
    }
}

extension FailureContext {
    /// One line on what failed: the agent at a stage, or the gates that did not pass.
    var summary: String {
        if let agent {
            let how = ["killed": "was killed", "timed_out": "timed out"][agent.status] ?? agent.status.replacingUnderscores
            return "the agent \(how) at the \(agent.stage) stage"
        }
        if let conflicts, !conflicts.isEmpty {
            return "work items run side by side conflicted: " + conflicts.map {
                "\($0.workItem)" + ($0.with.isEmpty ? "" : " with \($0.with.joined(separator: ", "))") + " in \($0.files.prefix(3).joined(separator: ", "))"
                    + ($0.files.count > 3 ? " and \($0.files.count - 3) more" : "")
            }.joined(separator: "; ")
        }
        return "gates " + failedGates.map(\.gate).joined(separator: ", ") + " did not pass"
    }
}
