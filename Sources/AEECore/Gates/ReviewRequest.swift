/// What a review gate hands its reviewing agent: the plan the attempt followed and its change against the task's base.
struct ReviewRequest: Sendable {
    let plan: [WorkItem]
    /// `git diff <base> <attempt>` without `.aee/`, as text.
    let diff: String
    /// Where the whole diff is written for the agent (`AEE_DIFF_FILE`).
    let diffFile: String
}

/// A reviewing agent's answer: `{"verdict": "approve" | "request_changes", "comments": [...]}`.
struct ReviewVerdict: Decodable, Equatable {
    enum Verdict: String, Decodable {
        case approve
        case requestChanges = "request_changes"
    }

    var verdict: Verdict
    var comments: [String]?
    var costUSD: Double?
    var turns: Int?

    enum CodingKeys: String, CodingKey {
        case verdict, comments, turns
        case costUSD = "cost_usd"
    }

    /// A review gate's result from its agent's call: passed on `approve`, failed on `request_changes` (the comments
    /// are its output, and so the next iteration's failure context), on no readable verdict, or on a failed call.
    static func result(of call: AgentDriver.Call, gate: Gate, tree: String, at: Timestamp) -> GateResult {
        var result = GateResult(gate: gate.name, command: gate.commandLine, tree: tree, status: .failed,
                                durationMilliseconds: call.report.durationMilliseconds, at: at)
        result.usage = call.usage ?? .unknown
        guard call.report.status == .done else {
            result.status = call.report.status == .timedOut ? .timedOut : .failed
            result.exitCode = call.report.exitCode
            result.outputTail = "the reviewing agent \(call.report.status.rawValue.replacingUnderscores)\n" + call.report.outputTail
            return result
        }
        let verdict: ReviewVerdict
        do {
            guard let bytes = call.result else { throw ReviewError.none(call.report.resultProblem) }
            verdict = try JSONInput.decode(ReviewVerdict.self, from: bytes, file: "the reviewer's verdict")
        } catch {
            result.outputTail = "the reviewing agent gave no verdict: \(error)\n" + String(decoding: OutputTail.suffix(2000, of: call.report.outputTail.utf8), as: UTF8.self)
            return result
        }
        if call.usage == nil { result.usage = Usage(reportedCost: verdict.costUSD, turns: verdict.turns) }
        let comments = (verdict.comments ?? []).map { "- " + TaskTitle.oneLine($0, limit: 2000) + "\n" }.joined()
        switch verdict.verdict {
        case .approve:
            result.status = .passed
            result.outputTail = "approved\n" + comments
        case .requestChanges:
            result.outputTail = "changes requested:\n" + (comments.isEmpty ? "- (no comments)\n" : comments)
        }
        return result
    }

    /// Why there is no verdict to read.
    private enum ReviewError: Error, CustomStringConvertible {
        case none(String?)
        var description: String {
            switch self {
            case .none(let problem): problem ?? "nothing was written to AEE_OUTPUT_FILE"
            }
        }
    }
}
