/// A task's id: eight characters of Crockford's lowercase base32, six of them random, so clones never need to agree
/// on a counter. Every id that reaches a path or a ref name has passed `init?(_:)`.
public struct TaskID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    static let length = 8

    /// Accepts only what `random()` could have made, so an id is always safe as a path component and a ref name.
    public init?(_ text: String) {
        guard text.utf8.count == Self.length, text.utf8.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        rawValue = text
    }

    /// A new id made `millisecond` (0...999) into a second: two characters that put ids made in the same second in
    /// the order they were made (records keep whole seconds, and `list` and the queue order ties by id), then six
    /// random ones. Tasks made at different times still begin alike only by chance, so short prefixes stay unique.
    public static func random(millisecond: Int) -> TaskID {
        var generator = SystemRandomNumberGenerator()
        let slot = min(max(millisecond, 0), 999) * 1024 / 1000
        let random = (0..<length - 2).map { _ in alphabet[Int(generator.next(upperBound: UInt8(alphabet.count)))] }
        return TaskID(String(decoding: [alphabet[slot / 32], alphabet[slot % 32]] + random, as: UTF8.self))!
    }

    /// Whether `text` could begin an id (what a user may type to name one).
    public static func isPrefix(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= length && text.utf8.allSatisfy { alphabet.contains($0) }
    }

    public var branch: String { "refs/heads/aee/\(rawValue)" }
    public var recordDirectory: String { ".aee/tasks/\(rawValue)" }
    public var recordPath: String { "\(recordDirectory)/task.json" }
    public var eventLogPath: String { "\(recordDirectory)/events.jsonl" }
    public var description: String { rawValue }

    /// The branch that keeps iteration `iteration`'s attempt (git cannot hold `aee/<id>/...` beside `aee/<id>`).
    public func attemptBranch(_ iteration: Int) -> String { "\(branch)-attempt-\(iteration)" }
    /// The branch of attempt `candidate` (from 1) of iteration `iteration` when several run side by side
    /// (`--attempts`): the first is the iteration's own branch, the others `<it>.<candidate>`.
    func attemptBranch(_ iteration: Int, candidate: Int) -> String {
        attemptBranch(iteration) + (candidate > 1 ? ".\(candidate)" : "")
    }

    /// Where a work item that runs beside others keeps its commit until the wave is merged into the attempt on `branch`.
    static func itemBranch(of branch: String, _ item: String) -> String { "\(branch)-item-\(item)" }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = TaskID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a task id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
