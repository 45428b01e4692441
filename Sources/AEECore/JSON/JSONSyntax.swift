/// JSON's grammar as RFC 8259 has it, checked byte by byte for where a document breaks it: a hand-edited file's
/// mistake is named with its line and column, and what Foundation lets through (a trailing comma) is refused, as
/// jq, Python and every other reader of the same file refuse it.
struct JSONSyntax {
    private let bytes: [UInt8]
    private var index = 0

    /// `line L, column C: what is wrong` for the first place `bytes` is not JSON, or nil when it is.
    static func problem(in bytes: [UInt8]) -> String? {
        var syntax = JSONSyntax(bytes: bytes)
        // A byte-order mark, which some editors write, is no part of the document (RFC 8259 lets a reader ignore it).
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { syntax.index = 3 }
        do {
            syntax.skipSpace()
            try syntax.value(depth: 0)
            syntax.skipSpace()
            if syntax.index < bytes.count { throw Failure("more after the end of the document") }
            return nil
        } catch let failure as Failure {
            return syntax.location + failure.reason
        } catch {
            return nil
        }
    }

    private struct Failure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Where `index` is, counted as an editor counts: lines and columns from 1, a column per character.
    private var location: String {
        let before = bytes[..<min(index, bytes.count)]
        let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<min(index, bytes.count)], as: UTF8.self).count + 1
        return "line \(line), column \(column): "
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw Failure(current == nil ? "the document ends where \(what) was expected" : "expected \(what)") }
        index += 1
    }

    private mutating func value(depth: Int) throws {
        guard depth < JSONInput.maximumDepth else { throw Failure("nested deeper than \(JSONInput.maximumDepth) levels") }
        switch current {
        case UInt8(ascii: "{"): try members(depth: depth)
        case UInt8(ascii: "["): try elements(depth: depth)
        case UInt8(ascii: "\""): try string()
        case .some(UInt8(ascii: "-")), .some(UInt8(ascii: "0")...UInt8(ascii: "9")): try number()
        case UInt8(ascii: "t"): try word("true")
        case UInt8(ascii: "f"): try word("false")
        case UInt8(ascii: "n"): try word("null")
        case nil: throw Failure("the document ends where a value was expected")
        default: throw Failure("expected a value")
        }
    }

    private mutating func members(depth: Int) throws {
        index += 1
        skipSpace()
        if current == UInt8(ascii: "}") { index += 1; return }
        while true {
            guard current == UInt8(ascii: "\"") else {
                throw Failure(current == UInt8(ascii: "}") ? "a comma before '}'"
                              : current == nil ? "the document ends where a key was expected" : "expected a key in double quotes")
            }
            try string()
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' after the key")
            skipSpace()
            try value(depth: depth + 1)
            skipSpace()
            if current == UInt8(ascii: "}") { index += 1; return }
            try expect(UInt8(ascii: ","), "',' or '}'")
            skipSpace()
        }
    }

    private mutating func elements(depth: Int) throws {
        index += 1
        skipSpace()
        if current == UInt8(ascii: "]") { index += 1; return }
        while true {
            if current == UInt8(ascii: "]") { throw Failure("a comma before ']'") }
            try value(depth: depth + 1)
            skipSpace()
            if current == UInt8(ascii: "]") { index += 1; return }
            try expect(UInt8(ascii: ","), "',' or ']'")
            skipSpace()
        }
    }

    private mutating func string() throws {
        index += 1
        while let byte = current {
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let escaped = current else { break }
                index += 1
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let hex = current, (0x30...0x39).contains(hex) || (0x41...0x46).contains(hex) || (0x61...0x66).contains(hex) else {
                            throw Failure("expected four hexadecimal digits after \\u")
                        }
                        index += 1
                    }
                } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                    index -= 2
                    throw Failure("an escape JSON does not have")
                }
            case 0x00..<0x20:
                index -= 1
                throw Failure("a control character (a line break?) inside a string")
            default: break
            }
        }
        throw Failure("the document ends inside a string")
    }

    private mutating func number() throws {
        if current == UInt8(ascii: "-") { index += 1 }
        let isDigit = { (byte: UInt8?) in byte.map { (0x30...0x39).contains($0) } ?? false }
        guard isDigit(current) else { throw Failure("expected a digit") }
        if current == UInt8(ascii: "0") {
            index += 1
            if isDigit(current) { throw Failure("a number with a leading zero") }
        } else {
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard isDigit(current) else { throw Failure("expected a digit after '.'") }
            while isDigit(current) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard isDigit(current) else { throw Failure("expected a digit in the exponent") }
            while isDigit(current) { index += 1 }
        }
    }

    private mutating func word(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
            throw Failure("expected a value")
        }
        index += expected.count
    }
}
