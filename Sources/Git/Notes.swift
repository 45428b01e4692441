import CLibGit2

extension Repository {
    /// The text of the note on `object` in the notes commit `notesCommit` (what a notes ref pointed at), or nil.
    public func note(on object: OID, inNotesCommit notesCommit: OID) throws -> String? {
        var notes: OpaquePointer?
        var commit = notesCommit.raw
        try check(git_commit_lookup(&notes, pointer, &commit), "git_commit_lookup")
        defer { git_commit_free(notes) }
        var note: OpaquePointer?
        var raw = object.raw
        let result = git_note_commit_read(&note, pointer, notes, &raw)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_note_commit_read")
        defer { git_note_free(note) }
        return String(cString: git_note_message(note))
    }

    /// The text of the note on `object` under the notes ref `notesRef`, or nil.
    public func note(on object: OID, in notesRef: String) throws -> String? {
        guard let commit = try resolveReference(notesRef) else { return nil }
        return try note(on: object, inNotesCommit: commit)
    }

    /// Sets the note on `object`, replacing any there. libgit2 moves the notes ref only from the tip it built on,
    /// so a concurrent writer makes this throw `isModified` rather than lose the other's note.
    public func setNote(_ text: String, on object: OID, in notesRef: String, signature: Signature) throws {
        var raw = object.raw
        var oid = git_oid()
        try signature.withHandle { signature in
            let result = writingRef(notesRef) {
                git_note_create(&oid, pointer, notesRef, signature, signature, &raw, text, 1)
            }
            try check(result, "git_note_create")
        }
    }
}
