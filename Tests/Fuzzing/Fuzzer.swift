import Foundation

/// Hostile input, generated: a seeded SplitMix64, so a failing case can be replayed with `AEE_FUZZ_SEED`.
/// `AEE_FUZZ_CASES` sets the cases per parser (default 1,000, so about 11,000 per run; by hand, 100,000).
public struct Fuzzer: RandomNumberGenerator {
    private var state: UInt64

    public static let seed = ProcessInfo.processInfo.environment["AEE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_125
    public static let cases = ProcessInfo.processInfo.environment["AEE_FUZZ_CASES"].flatMap { Int($0) } ?? 1_000

    public init(_ salt: String) {
        // Each parser gets a stream of its own, so adding one does not change the cases of the others.
        state = salt.utf8.reduce(Self.seed) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
    public mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &self)! }

    /// Strings that attack paths, ref names, trailers, terminals and parsers.
    public static let hostile: [String] = [
        "", " ", "../", "../../etc/passwd", "/etc/passwd", "a/../../b", ".git", ".git/config", "..", ".", "a\0b", "\0",
        "@{", "main@{1}", "x.lock", "refs/heads/x.lock", "a..b", "a//b", "-rf", "--help", "-h", "--", "~1", "HEAD^",
        "name with space", "tab\there", "\u{1b}[31mred\u{1b}[0m", "\u{1b}]0;title\u{07}", "\r", "\n", "line\nAEE-Task: other",
        "x\n\nAEE-Task: other\nAEE-Event: succeeded", "AEE-State: SUCCEEDED", "Signed-off-by: mallory", "\u{202e}reversed",
        "\u{feff}bom", "é", "日本語", "🙂", "\u{7f}", "\u{85}", "\\", "\"", "'", "`$(touch pwned)`", "$(rm -rf ~)", "%s%n",
        "\u{d7ff}", "\u{e000}", "aee/x", "refs/heads/aee/../../HEAD", "k3m9x2ab", "K3M9X2AB", "k3m9x2a", "k3m9x2abc",
        "---", "--- x", "---1", "0", "-1", "9223372036854775807", "-9223372036854775808", "1e400", "NaN", "true", "null", "{}", "[]",
    ]

    public mutating func hostileString() -> String {
        switch Int.random(in: 0..<6, using: &self) {
        case 0: return String(repeating: pick(["a", "../", "\n", "é", "\0"]), count: Int.random(in: 1...5_000, using: &self))
        case 1: return String(decoding: randomBytes(Int.random(in: 0...40, using: &self)), as: UTF8.self)
        case 2: return pick(Self.hostile) + pick(Self.hostile)
        default: return pick(Self.hostile)
        }
    }

    public mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// A JSON string literal for `text`, escaped as JSON requires (so it parses, with hostile content).
    public static func literal(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Any JSON value, of any type, sometimes deep or huge.
    public mutating func jsonValue(depth: Int = 0) -> String {
        switch Int.random(in: 0..<(depth > 6 ? 6 : 8), using: &self) + (chance(1) ? 8 : 0) {
        case 0: return "null"
        case 1: return pick(["true", "false"])
        case 2: return pick(["0", "-1", "1", "3", "20", "1.5", "-0", "1e999", "9223372036854775808", "-9223372036854775809", "1e-400", "86401"])
        case 3, 4, 5: return Self.literal(hostileString())
        case 6: return "[" + (0..<Int.random(in: 0...3, using: &self)).map { _ in jsonValue(depth: depth + 1) }.joined(separator: ",") + "]"
        case 7: return "{" + (0..<Int.random(in: 0...3, using: &self)).map { _ in Self.literal(hostileString()) + ":" + jsonValue(depth: depth + 1) }.joined(separator: ",") + "}"
        default: return String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        }
    }

    /// `document` changed in one to three places: bytes flipped, inserted, deleted or cut off, a value swapped for a
    /// hostile one of any type, a key duplicated or added, the whole wrapped in a nesting bomb.
    public mutating func mutate(_ document: String) -> [UInt8] {
        var bytes = Array(document.utf8)
        for _ in 0..<Int.random(in: 1...3, using: &self) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &self)
            switch Int.random(in: 0..<9, using: &self) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &self))
            case 1: bytes.insert(contentsOf: randomBytes(Int.random(in: 1...8, using: &self)), at: at)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &self)))
            case 3: bytes = Array(bytes.prefix(at))
            case 4, 5: bytes = replaceValue(in: bytes)
            case 6:
                if let brace = bytes.firstIndex(of: UInt8(ascii: "{")) {
                    bytes.insert(contentsOf: Array((Self.literal(hostileString()) + ":" + jsonValue() + ",").utf8), at: brace + 1)
                }
            case 7:
                let depth = chance(10) ? 200_000 : pick([63, 64, 65, 1_000])
                bytes = Array(String(repeating: "[", count: depth).utf8) + bytes + Array(String(repeating: "]", count: depth).utf8)
            default: bytes.insert(contentsOf: [0xC3, 0x28, 0xFF, 0xED, 0xA0, 0x80][...Int.random(in: 0...5, using: &self)], at: at)
            }
        }
        return bytes
    }

    /// The value after a random `:` swapped for another JSON value.
    private mutating func replaceValue(in bytes: [UInt8]) -> [UInt8] {
        let colons = bytes.indices.filter { bytes[$0] == UInt8(ascii: ":") }
        guard let colon = colons.randomElement(using: &self) else { return bytes }
        var end = colon + 1
        var depth = 0
        var inString = false
        while end < bytes.count {
            let byte = bytes[end]
            if inString {
                if byte == UInt8(ascii: "\\") { end += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
            } else if byte == UInt8(ascii: "\"") {
                inString = true
            } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                if depth == 0 { break }
                depth -= 1
            } else if byte == UInt8(ascii: ","), depth == 0 {
                break
            }
            end += 1
        }
        return Array(bytes[...colon]) + Array(jsonValue().utf8) + Array(bytes[min(end, bytes.count)...])
    }
}
