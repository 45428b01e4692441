#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON, for reading what other programs print (agent CLIs' event streams and transcripts), whose shapes vary
/// by release: a lookup that finds nothing gives nil instead of a decoding error.
enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// One JSON document, or nil when `bytes` are not one (or nest deeper than records ever do).
    static func parse(_ bytes: some Collection<UInt8>) -> JSONValue? {
        let array = Array(bytes)
        guard JSONInput.nestingProblem(array) == nil else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(array))
    }

    /// Every number in the document with the keys (and indexes) that lead to it.
    func numbers(at path: [any CodingKey]) -> [(path: [any CodingKey], value: Double)] {
        switch self {
        case .number(let value): [(path, value)]
        case .array(let items): items.enumerated().flatMap { $1.numbers(at: path + [PathKey(index: $0)]) }
        case .object(let members): members.sorted { $0.key < $1.key }.flatMap { $1.numbers(at: path + [PathKey(name: $0)]) }
        default: []
        }
    }

    /// The document with the value at `path` replaced.
    func replacing(at path: ArraySlice<any CodingKey>, with value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        switch self {
        case .array(var items):
            guard let index = key.intValue, items.indices.contains(index) else { return self }
            items[index] = items[index].replacing(at: path.dropFirst(), with: value)
            return .array(items)
        case .object(var members):
            guard let member = members[key.stringValue] else { return self }
            members[key.stringValue] = member.replacing(at: path.dropFirst(), with: value)
            return .object(members)
        default:
            return self
        }
    }

    /// Each line of `bytes` that is a JSON object, in order (JSON Lines, with whatever else was printed between them).
    static func lines(_ bytes: [UInt8]) -> [JSONValue] {
        bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard line.first(where: { $0 != UInt8(ascii: " ") }) == UInt8(ascii: "{") else { return nil }
            return parse(line)
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var int: Int? { number.flatMap { $0.isFinite && $0.rounded() == $0 && abs($0) < 1e15 ? Int($0) : nil } }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): if let whole = int { try container.encode(whole) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }
}

/// A key or an index on the way to a value, as Foundation's coding paths name them.
private struct PathKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(name: String) { (stringValue, intValue) = (name, nil) }
    init(index: Int) { (stringValue, intValue) = (String(index), index) }
    init?(stringValue: String) { self.init(name: stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}
