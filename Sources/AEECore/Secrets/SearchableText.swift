import CSystem

/// A text's UTF-8 bytes, folded to one case if asked, searched with glibc's `memmem`: String's own search costs more
/// than the rest of a redaction, which runs on every output tail and record. An ASCII text is folded and searched by
/// its bytes alone; any other is folded as String folds it (`ß` upper-cases to `SS`, the Kelvin sign lower-cases to
/// `k`), and where its bytes do not hold the needle String is asked too, since it finds what is written differently
/// but reads the same (an `é` composed or not).
struct SearchableText {
    enum Folding { case none, lower, upper }

    let bytes: [UInt8]
    /// The folded text, for String's search, when it or a needle is not all ASCII.
    private let folded: String
    private let isASCII: Bool

    init(_ text: String, folding: Folding = .none) {
        isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        switch (folding, isASCII) {
        case (.none, _): folded = text
        case (.lower, true): folded = String(decoding: text.utf8.map { (65...90).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        case (.upper, true): folded = String(decoding: text.utf8.map { (97...122).contains($0) ? $0 & ~0x20 : $0 }, as: UTF8.self)
        case (.lower, false): folded = text.lowercased()
        case (.upper, false): folded = text.uppercased()
        }
        bytes = Array(folded.utf8)
    }

    func contains(_ needle: String) -> Bool {
        var needle = needle
        let found = needle.withUTF8 { wanted in
            bytes.withUnsafeBytes { aee_contains_bytes($0.baseAddress, $0.count, wanted.baseAddress, wanted.count) != 0 }
        }
        return found || (!(isASCII && needle.utf8.allSatisfy { $0 < 0x80 }) && folded.contains(needle))
    }
}
