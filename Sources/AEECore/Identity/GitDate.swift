/// The date forms git accepts in `GIT_AUTHOR_DATE`/`GIT_COMMITTER_DATE` that scripts use:
/// `@1700000000 +0100`, `1700000000 +0100`, and ISO 8601 `2026-01-31T12:00:00Z` / `2026-01-31 12:00:00 +0100`.
enum GitDate {
    static func parse(_ text: String) -> (seconds: Int64, offsetMinutes: Int32)? {
        let parts = text.trimmingWhitespace.split(separator: " ").map(String.init)
        guard let first = parts.first else { return nil }
        let offset: Int32?
        switch parts.count {
        case 1: offset = 0
        case 2: offset = zone(parts[1])
        case 3: offset = zone(parts[2])
        default: offset = nil
        }
        guard let offset else { return nil }
        if parts.count <= 2 {
            let digits = first.hasPrefix("@") ? String(first.dropFirst()) : first
            if let seconds = Int64(digits) { return (seconds, offset) }
        }
        var iso = parts.count == 3 ? "\(parts[0])T\(parts[1])" : first
        var isoOffset = offset
        if iso.hasSuffix("Z") {
            iso.removeLast()
        } else if let sign = iso.lastIndex(where: { $0 == "+" || $0 == "-" }), iso.distance(from: iso.startIndex, to: sign) > 10 {
            guard let parsed = zone(String(iso[sign...])) else { return nil }
            isoOffset = parsed
            iso = String(iso[..<sign])
        }
        guard let local = Timestamp(iso8601: iso + "Z") else { return nil }
        return (local.seconds - Int64(isoOffset) * 60, isoOffset)
    }

    /// `+0100`, `-05:30` -> minutes east of UTC.
    static func zone(_ text: String) -> Int32? {
        let digits = text.dropFirst().filter { $0 != ":" }
        guard let sign = text.first, sign == "+" || sign == "-", digits.count == 4, let value = Int32(digits) else { return nil }
        let minutes = value / 100 * 60 + value % 100
        return sign == "-" ? -minutes : minutes
    }
}
