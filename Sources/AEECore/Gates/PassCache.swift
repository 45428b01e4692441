import Git

/// Passes remembered per tree, as git notes on the tree objects under `refs/notes/aee-gates`.
/// Notes because they are plain git: `git notes --ref aee-gates show <tree>` reads them, and
/// `git push origin refs/notes/aee-gates` / `git fetch origin refs/notes/aee-gates:refs/notes/aee-gates` carry them
/// to other machines, where a tree that passed is not tested again. Failures are never recorded.
struct PassCache {
    static let notesRef = "refs/notes/aee-gates"

    let repository: Repository
    /// When set, passes are read as the notes stood in this commit (what the notes ref pointed at when a run began),
    /// so a note written while an agent ran (by the agent, straight into the repository) is not taken for a pass.
    var asOf: OID?

    /// One remembered pass: a line of the note.
    struct Pass: Codable, Equatable {
        let gate: String
        /// The gate definition's digest: a changed command or timeout is another gate, tested afresh.
        let definition: String
        let at: Timestamp
    }

    func hasPassed(_ gate: Gate, tree: OID) -> Bool {
        passes(on: tree).contains { $0.gate == gate.name && $0.definition == gate.digest }
    }

    /// Adds passes to the tree's note, keeping the ones already there; retried when another writer moved the notes ref.
    func record(_ gates: [Gate], tree: OID, identity: Identity) throws {
        guard !gates.isEmpty else { return }
        for _ in 0..<10 {
            var passes = self.passes(on: tree).filter { pass in !gates.contains { $0.name == pass.gate } }
            passes += gates.map { Pass(gate: $0.name, definition: $0.digest, at: identity.timestamp) }
            let lines = try passes.sorted { $0.gate < $1.gate }.map { String(decoding: try CanonicalJSON.compact($0), as: UTF8.self) }
            do {
                try repository.setNote(lines.joined(separator: "\n") + "\n", on: tree, in: Self.notesRef, signature: identity.committer,
                                       message: "aee: gates passed: " + gates.map(\.name).joined(separator: ", ") + "\n\nOn tree \(tree.hex).\n")
                return
            } catch let error as GitError where error.isModified || error.isLocked || error.isExists {
                continue
            }
        }
    }

    /// The passes in the tree's note; a note that is not ours (or is damaged) counts as no pass.
    private func passes(on tree: OID) -> [Pass] {
        let read = { try asOf.map { try repository.note(on: tree, inNotesCommit: $0) } ?? repository.note(on: tree, in: Self.notesRef) }
        guard let text = try? read() else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONInput.decode(Pass.self, from: Array($0.utf8), file: "note") }
    }
}
