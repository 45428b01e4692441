import CSystem

/// A text's UTF-8 bytes, its ASCII letters folded to one case if asked, searched with glibc's `memmem`: String's own search
/// costs more than the rest of a redaction, which runs on every output tail and record.
struct SearchableText {
    enum Folding { case none, lower, upper }

    let bytes: [UInt8]

    init(_ text: String, folding: Folding = .none) {
        switch folding {
        case .none: bytes = Array(text.utf8)
        case .lower: bytes = text.utf8.map { (65...90).contains($0) ? $0 | 0x20 : $0 }
        case .upper: bytes = text.utf8.map { (97...122).contains($0) ? $0 & ~0x20 : $0 }
        }
    }

    func contains(_ needle: String) -> Bool {
        var needle = needle
        return needle.withUTF8 { wanted in
            bytes.withUnsafeBytes { aee_contains_bytes($0.baseAddress, $0.count, wanted.baseAddress, wanted.count) != 0 }
        }
    }
}
