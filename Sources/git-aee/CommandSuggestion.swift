/// What git says to a mistyped command: the most similar ones, by edit distance (a swap of two neighbouring letters
/// counts as one edit, as in `lsit`).
enum CommandSuggestion {
    /// The names closest to `typed`, if any is close enough to be what was meant.
    static func similar(to typed: String, among names: [String]) -> [String] {
        let scored = names.map { (name: $0, distance: distance(typed, $0)) }
        guard let best = scored.map(\.distance).min(), best <= max(1, min(typed.count, 6) / 2) else { return [] }
        return scored.filter { $0.distance == best }.map(\.name)
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }
}
