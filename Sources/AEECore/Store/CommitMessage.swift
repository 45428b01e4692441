/// The message of a commit that records a task event: a subject for `git log --oneline`, trailers for machines.
struct CommitMessage {
    let task: TaskID
    let event: String
    let state: TaskState
    let title: String
    /// One line of prose between subject and trailers (for example a cancel reason), or nil.
    var note: String?

    /// The trailer block stands alone as the last paragraph: git ignores a block that mixes in prose.
    /// Title and note are folded to one line, so nothing a user typed can end up looking like a trailer.
    var text: String {
        var paragraphs = ["aee(\(task)): \(event): \(TaskTitle.oneLine(title))"]
        if let note, !note.trimmingWhitespace.isEmpty {
            paragraphs.append(TaskTitle.oneLine(note, limit: 1000))
        }
        paragraphs.append([
            "AEE-Task: \(task)",
            "AEE-Event: \(event)",
            "AEE-State: \(state)",
        ].joined(separator: "\n"))
        return paragraphs.joined(separator: "\n\n") + "\n"
    }
}
