#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decodes JSON that came from a file or another program, turning Foundation's errors into one line that names the key.
enum JSONInput {
    /// Deeper than any record we write; deeper input is refused before Foundation's recursive parser sees it.
    static let maximumDepth = 64

    /// `strict`: a file people edit by hand and other tools read too (the team's config), held to JSON's grammar,
    /// which Foundation's parser is not (it takes a trailing comma).
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], file: String, strict: Bool = false) throws -> T {
        if let problem = nestingProblem(bytes) {
            throw ConfigError.invalidFile(file: file, key: "", reason: problem)
        }
        if strict, let problem = JSONSyntax.problem(in: bytes) {
            throw ConfigError.invalidFile(file: file, key: "", reason: "\(notJSON): \(problem)")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            var (key, reason) = explain(error)
            if key.isEmpty, reason == notJSON {
                if let number = unfitNumber(in: bytes, as: type) {
                    (key, reason) = number
                } else if let problem = JSONSyntax.problem(in: bytes) {
                    reason = "\(notJSON): \(problem)"
                }
            }
            throw ConfigError.invalidFile(file: file, key: key, reason: reason)
        }
    }

    static let notJSON = "not valid JSON"

    /// The number that made Foundation call valid JSON "not valid JSON" (a fraction or a huge number where a whole
    /// number goes, which it reports without a key): each number that is not a small whole one is set to 0 in turn,
    /// and the one whose change gets past that error is named. Nil when the text is not JSON after all.
    private static func unfitNumber<T: Decodable>(in bytes: [UInt8], as type: T.Type) -> (key: String, reason: String)? {
        guard let document = JSONValue.parse(bytes) else { return nil }
        for (path, value) in document.numbers(at: []) where JSONValue.number(value).int == nil {
            guard let changed = try? JSONEncoder().encode(document.replacing(at: path[...], with: .number(0))) else { continue }
            do {
                _ = try JSONDecoder().decode(type, from: changed)
            } catch let error as DecodingError where explain(error) == ("", notJSON) {
                continue
            } catch {}
            let text = value.rounded() == value && abs(value) < 9e18 ? String(Int64(value)) : "\(value)"
            return (Self.path(path), value.rounded() == value ? "\(text) is too large" : "expected a whole number, found \(text)")
        }
        return nil
    }

    static func explain(_ error: DecodingError) -> (key: String, reason: String) {
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(describe(type))")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "expected \(describe(type)), found null")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return ("", notJSON) }
            // Foundation's reasons quote the bad value, which may be megabytes long.
            return (path(context.codingPath), context.debugDescription.excerpt(300))
        @unknown default:
            return ("", notJSON)
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "a list"
        case is [String: Any].Type: "an object"
        default: "a value of another type"
        }
    }

    /// A reason to refuse input that nests deeper than `maximumDepth`, or nil.
    static func nestingProblem(_ bytes: [UInt8]) -> String? {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maximumDepth { return "nested deeper than \(maximumDepth) levels" }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return nil
    }
}

/// Any key, for looking at the keys an object actually has.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Refuses keys the type does not know, so a typo in a hand-edited file is reported instead of ignored.
    func rejectUnknownKeys<Key: CodingKey & CaseIterable>(_: Key.Type) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let known = Set(Key.allCases.map(\.stringValue))
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [AnyCodingKey(stringValue: unknown)],
                debugDescription: "unknown key (known: \(known.sorted().joined(separator: ", ")))"))
        }
    }
}
