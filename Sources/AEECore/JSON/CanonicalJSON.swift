#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The one JSON form records are written in: sorted keys, two-space indent, `"key": value`, a final newline.
/// Foundation's pretty printer writes `"key" : value`, so its compact output is re-indented here.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        indent(try compact(value)) + [UInt8(ascii: "\n")]
    }

    /// One line, sorted keys: the form of an event log line.
    public static func compact<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// `{"<key>": [<items>]}` in canonical form, each item already canonical JSON (as records are stored), nested without re-encoding.
    public static func document(key: String, items: [[UInt8]]) -> [UInt8] {
        guard !items.isEmpty else { return Array("{\n  \"\(key)\": []\n}\n".utf8) }
        var out = Array("{\n  \"\(key)\": [\n".utf8)
        out.reserveCapacity(items.reduce(out.count + 16) { $0 + $1.count * 5 / 4 })
        let indent: [UInt8] = Array("    ".utf8)
        for (index, item) in items.enumerated() {
            // Each line indented four more: after every newline but the item's final one. Copied a line at a time
            // (a listing of 100,000 records is over 100 MB).
            let end = item.last == UInt8(ascii: "\n") ? item.count - 1 : item.count
            item.withUnsafeBufferPointer { bytes in
                var start = 0
                while start < end {
                    let newline = bytes[start..<end].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? end
                    out.append(contentsOf: indent)
                    out.append(contentsOf: bytes[start..<newline])
                    start = newline
                }
                // An empty line last (or an empty item) is indented too.
                if end == 0 || bytes[end - 1] == UInt8(ascii: "\n") { out.append(contentsOf: indent) }
            }
            out.append(contentsOf: (index == items.count - 1 ? "\n" : ",\n").utf8)
        }
        out.append(contentsOf: "  ]\n}\n".utf8)
        return out
    }

    static func indent(_ compact: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(compact.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        var index = 0
        func newline() {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
        }
        while index < compact.count {
            let byte = compact[index]
            defer { index += 1 }
            if inString {
                out.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if index + 1 < compact.count, compact[index + 1] == close {
                    out.append(byte)
                    out.append(close)
                    index += 1
                } else {
                    out.append(byte)
                    depth += 1
                    newline()
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                newline()
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline()
            case UInt8(ascii: ":"):
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
            default:
                out.append(byte)
            }
        }
        return out
    }
}
