/// One unit of work from a plan: what the agent is asked to do in one execute call, committed as one commit.
public struct WorkItem: Codable, Equatable, Sendable {
    /// A short name safe as a file name and a trailer value (see `safeID`).
    public var id: String
    public var title: String
    public var description: String
    /// The earlier items this one needs done first (`depends_on`); nil when the plan did not say, which makes it
    /// need every earlier item, as a plan without dependencies always ran.
    public var dependsOn: [String]?

    public init(id: String, title: String, description: String, dependsOn: [String]? = nil) {
        self.id = id
        self.title = title
        self.description = description
        self.dependsOn = dependsOn
    }

    enum CodingKeys: String, CodingKey {
        case id, title, description
        case dependsOn = "depends_on"
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

    /// An item as an agent proposed it.
    struct Proposal {
        var id: String?
        var title: String
        var description: String
        var dependsOn: [String]? = nil
    }

    /// The items an agent proposed, made safe: unusable ids replaced by `item-<n>`, duplicates renamed, titles folded
    /// to one line, dependencies kept only where they name an earlier item (by the id the agent gave it). An id that
    /// `isSecret` is replaced too: ids go where nothing is redacted (file names, trailers, branch names). Returns the
    /// items and a note for every change.
    static func sanitized(_ proposed: [Proposal], isSecret: (String) -> Bool = { _ in false }) -> (items: [WorkItem], notes: [String]) {
        var items: [WorkItem] = []
        var notes: [String] = []
        var used = Set<String>()
        // The agent's ids of the items so far, to the ids they were given.
        var given: [String: String] = [:]
        for (index, item) in proposed.enumerated() {
            var id = item.id ?? ""
            let secret = isSecret(id)
            if !isSafeID(id) || used.contains(id) || secret {
                let replacement = (1...).lazy.map { "item-\(index + $0)" }.first { !used.contains($0) }!
                if secret {
                    notes.append("work item id \(index + 1) looks like a secret; replaced by '\(replacement)'")
                } else if let original = item.id {
                    notes.append("work item id '\(original.escapedForTerminal)' replaced by '\(replacement)'")
                }
                id = replacement
            }
            used.insert(id)
            let title = TaskTitle.oneLine(item.title.trimmingWhitespace.isEmpty ? "work item \(index + 1)" : item.title, limit: 200)
            var dependsOn: [String]?
            if let named = item.dependsOn {
                var kept: [String] = []
                for name in named {
                    if let earlier = given[name] {
                        if !kept.contains(earlier) { kept.append(earlier) }
                    } else {
                        notes.append("work item '\(id)' depends on '\(name.escapedForTerminal)', which is no earlier item; left out")
                    }
                }
                dependsOn = kept
            }
            if let original = item.id, given[original] == nil { given[original] = id }
            items.append(WorkItem(id: id, title: title, description: item.description, dependsOn: dependsOn))
        }
        return (items, notes)
    }
}
