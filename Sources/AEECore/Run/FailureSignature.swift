import Git

/// A digest that stays the same when a failure repeats: the failed gates (or the failed agent call) and their output
/// with what varies from run to run (numbers, hashes, timings, white space) taken out.
enum FailureSignature {
    static func of(gates: [FailureContext.FailedGate], agent: FailureContext.FailedAgent?, conflicts: [FailureContext.Conflict] = []) -> String {
        var parts = gates.sorted { $0.gate < $1.gate }.map { "gate \($0.gate) \($0.status)\n\(normalized($0.outputTail))" }
        parts += conflicts.map { "conflict \($0.workItem) \($0.files.joined(separator: " "))" }
        if let agent { parts.append("agent \(agent.stage) \(agent.status) \(agent.exitCode.map(String.init) ?? "-")\n\(normalized(agent.outputTail))") }
        return Repository.hash(of: Array(parts.joined(separator: "\n\u{1F}\n").utf8)).hex
    }

    /// Digit runs (which covers hex ids, times and line numbers) become `#`; white space runs become one space.
    static func normalized(_ text: String) -> String {
        var out = ""
        var previous: Character?
        for character in text {
            let mapped: Character = character.isNumber || (character.isHexDigit && previous == "#") ? "#" : (character.isWhitespace ? " " : character)
            if (mapped == "#" || mapped == " "), previous == mapped { continue }
            out.append(mapped)
            previous = mapped
        }
        return out
    }
}
