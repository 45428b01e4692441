/// The message of a commit that records a task event: a subject for `git log --oneline`, trailers for machines.
struct CommitMessage {
    let task: TaskID
    let event: String
    let state: TaskState
    let title: String
    /// One line of prose between subject and trailers (for example a cancel reason), or nil.
    var note: String?
    /// Trailers after `AEE-State` (`AEE-Iteration`, `AEE-Work-Item`, `AEE-Gate`); values are git aee's own, validated names.
    var trailers: [(key: String, value: String)] = []

    /// The trailer block stands alone as the last paragraph: git ignores a block that mixes in prose.
    /// Title and note are folded to one line, so nothing a user typed can end up looking like a trailer.
    var text: String {
        var paragraphs = ["aee(\(task)): \(event): \(TaskTitle.oneLine(title))"]
        if let note, !note.trimmingWhitespace.isEmpty {
            let line = TaskTitle.oneLine(note, limit: 1000)
            // libgit2 takes a line starting with `---` for the start of a patch and reads no trailers after it.
            paragraphs.append(line.hasPrefix("---") ? " " + line : line)
        }
        let lines = ["AEE-Task: \(task)", "AEE-Event: \(event)", "AEE-State: \(state)"]
            + trailers.map { "\($0.key): \(TaskTitle.oneLine($0.value, limit: 200))" }
        paragraphs.append(lines.joined(separator: "\n"))
        return paragraphs.joined(separator: "\n\n") + "\n"
    }
}
