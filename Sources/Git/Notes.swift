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

    /// Sets the note on `object`, replacing any there, in a notes commit with `message` (libgit2 would write its
    /// own, "Notes added by 'git_note_create' from libgit2"). The notes ref moves only from the tip the note was
    /// added to, so a concurrent writer makes this throw `isModified` rather than lose the other's note.
    public func setNote(_ text: String, on object: OID, in notesRef: String, signature: Signature, message: String) throws {
        let parent = try resolveReference(notesRef)
        var raw = object.raw
        var added = git_oid()
        var blob = git_oid()
        try signature.withHandle { signature -> Void in
            if let parent {
                try withCommit(parent) { parentCommit -> Void in
                    try check(git_note_commit_create(&added, &blob, pointer, parentCommit, signature, signature, &raw, text, 1), "git_note_commit_create")
                }
            } else {
                try check(git_note_commit_create(&added, &blob, pointer, nil, signature, signature, &raw, text, 1), "git_note_commit_create")
            }
        }
        // The same tree and parent under git aee's message; libgit2's commit is left for gc, referenced by nothing.
        let tree = try commit(OID(added)).tree
        let notes = try writeCommit(tree: tree, parents: parent.map { [$0] } ?? [], author: signature, committer: signature, message: message)
        try updateReference(notesRef, to: notes, expecting: parent, reflogMessage: "aee: " + message.prefix { $0 != "\n" })
    }
}
