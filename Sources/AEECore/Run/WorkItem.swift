/// One unit of work from a plan: what the agent is asked to do in one execute call, committed as one commit.
public struct WorkItem: Codable, Equatable, Sendable {
    /// A short name safe as a file name and a trailer value (see `safeID`).
    public var id: String
    public var title: String
    public var description: String

    public init(id: String, title: String, description: String) {
        self.id = id
        self.title = title
        self.description = description
    }

    static let maxIDLength = 40

    /// Whether an agent's id can be used as it is: lowercase letters, digits, `-` and `_`, starting with a letter or
    /// digit, at most 40 characters. Anything else (`../x`, `.git`, `a/b`, NUL, spaces) is replaced.
    static func isSafeID(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= maxIDLength, isAlphanumeric(first) else { return false }
        return text.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The items an agent proposed, made safe: unusable ids replaced by `item-<n>`, duplicates renamed, titles folded
    /// to one line. Returns the items and a note for every replacement.
    static func sanitized(_ proposed: [(id: String?, title: String, description: String)]) -> (items: [WorkItem], notes: [String]) {
        var items: [WorkItem] = []
        var notes: [String] = []
        var used = Set<String>()
        for (index, item) in proposed.enumerated() {
            var id = item.id ?? ""
            if !isSafeID(id) || used.contains(id) {
                let replacement = (1...).lazy.map { "item-\(index + $0)" }.first { !used.contains($0) }!
                if let original = item.id { notes.append("work item id '\(original.escapedForTerminal)' replaced by '\(replacement)'") }
                id = replacement
            }
            used.insert(id)
            let title = TaskTitle.oneLine(item.title.trimmingWhitespace.isEmpty ? "work item \(index + 1)" : item.title, limit: 200)
            items.append(WorkItem(id: id, title: title, description: item.description))
        }
        return (items, notes)
    }
}
