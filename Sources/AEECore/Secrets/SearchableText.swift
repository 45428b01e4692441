import CSystem

/// A text's UTF-8 bytes, folded to one case if asked, searched with glibc's `memmem`: String's own search costs more
/// than the rest of a redaction, which runs on every output tail and record. An ASCII text is folded and searched by
/// its bytes alone; any other is folded as String folds it (`ß` upper-cases to `SS`, the Kelvin sign lower-cases to
/// `k`), and where its bytes do not hold the needle String is asked too, since it finds what is written differently
/// but reads the same (an `é` composed or not).
struct SearchableText {
    enum Folding { case none, lower, upper }

    let bytes: [UInt8]
    /// The folded text when it is not all ASCII, for String's search.
    private let unicode: String?

    init(_ text: String, folding: Folding = .none) {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            switch folding {
            case .none: bytes = Array(text.utf8)
            case .lower: bytes = text.utf8.map { (65...90).contains($0) ? $0 | 0x20 : $0 }
            case .upper: bytes = text.utf8.map { (97...122).contains($0) ? $0 & ~0x20 : $0 }
            }
            unicode = nil
        } else {
            let folded = switch folding {
            case .none: text
            case .lower: text.lowercased()
            case .upper: text.uppercased()
            }
            bytes = Array(folded.utf8)
            unicode = folded
        }
    }

    func contains(_ needle: String) -> Bool {
        var needle = needle
        let found = needle.withUTF8 { wanted in
            bytes.withUnsafeBytes { aee_contains_bytes($0.baseAddress, $0.count, wanted.baseAddress, wanted.count) != 0 }
        }
        if found { return true }
        if let unicode { return unicode.contains(needle) }
        // An ASCII text can still read as a needle that is not (the Kelvin sign is a K): rare, so made only then.
        return !needle.utf8.allSatisfy { $0 < 0x80 } && String(decoding: bytes, as: UTF8.self).contains(needle)
    }
}
