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

    /// Sets the note on `object`, replacing any there, in a notes commit with `message`. The tree is written here,
    /// as git and libgit2 write it (libgit2's own call would also leave a commit of its own message behind, for gc).
    /// The notes ref moves only from the tip the note was added to, so a concurrent writer makes this throw
    /// `isModified` rather than lose the other's note.
    public func setNote(_ text: String, on object: OID, in notesRef: String, signature: Signature, message: String) throws {
        let parent = try resolveReference(notesRef)
        let root = try parent.map { try commit($0).tree }
        let tree = try writeTree(base: root, applying: [TreeUpdate(path: try notePath(of: object, in: root), blob: try writeBlob(Array(text.utf8)))])
        let notes = try writeCommit(tree: tree, parents: parent.map { [$0] } ?? [], author: signature, committer: signature, message: message)
        try updateReference(notesRef, to: notes, expecting: parent, reflogMessage: "aee: " + message.prefix { $0 != "\n" })
    }

    /// Where the note on `object` goes in the notes tree `root`: under the fan-out folders it already has (`ab/`,
    /// then `ab/cd/`, named by the id's leading digits), at the deepest, named by the rest of the id.
    private func notePath(of object: OID, in root: OID?) throws -> String {
        var folders = "", rest = Substring(object.hex)
        while let root, rest.count > 2, try entry(at: folders + rest.prefix(2), inTree: root)?.isTree == true {
            folders += rest.prefix(2) + "/"
            rest = rest.dropFirst(2)
        }
        return folders + rest
    }
}
