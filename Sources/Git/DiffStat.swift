/// `git diff --stat` as git prints it (its `show_stats`): a row per file with its changed lines and a graph scaled to
/// the width, binary files as `Bin <old> -> <new> bytes`, long names cut from the left, and the summary line.
struct DiffStat {
    /// One file's row: its name as printed, and its added and deleted lines (for a binary file, its new and old
    /// sizes in bytes).
    struct File: Equatable {
        var name: String
        var added: Int
        var deleted: Int
        var binary: Bool
    }

    var files: [File]

    /// The rows and the summary in at most `width` columns (a binary row may run over, as git's does).
    func formatted(width totalWidth: Int) -> String {
        guard !files.isEmpty else { return "" }
        let maxLength = files.map { Self.width(of: $0.name) }.max() ?? 0
        var maxChange = 0, binWidth = 0, numberWidth = 0
        for file in files {
            if file.binary {
                // "Bin XXX -> YYY bytes"; the counts of the other rows align with "Bin".
                binWidth = max(binWidth, 14 + String(file.added).count + String(file.deleted).count)
                numberWidth = 3
            } else {
                maxChange = max(maxChange, file.added + file.deleted)
            }
        }
        numberWidth = max(numberWidth, String(maxChange).count)
        let width = max(totalWidth, 16 + 6 + numberWidth)
        var graphWidth = maxChange + 4 > binWidth ? maxChange : binWidth - 4
        var nameWidth = maxLength
        if nameWidth + numberWidth + 6 + graphWidth > width {
            if graphWidth > width * 3 / 8 - numberWidth - 6 { graphWidth = max(6, width * 3 / 8 - numberWidth - 6) }
            if nameWidth > width - numberWidth - 6 - graphWidth {
                nameWidth = width - numberWidth - 6 - graphWidth
            } else {
                graphWidth = width - numberWidth - 6 - nameWidth
            }
        }
        var out = ""
        for file in files {
            let name = Self.fitted(file.name, in: nameWidth)
            let padding = String(repeating: " ", count: max(0, nameWidth - Self.width(of: name)))
            if file.binary {
                out += " \(name)\(padding) | " + Self.padded("Bin", numberWidth)
                out += file.added == 0 && file.deleted == 0 ? "\n" : " \(file.deleted) -> \(file.added) bytes\n"
                continue
            }
            var (add, del) = (file.added, file.deleted)
            if graphWidth <= maxChange {
                var total = Self.scaled(add + del, graphWidth, maxChange)
                if total < 2, add > 0, del > 0 { total = 2 }
                if add < del {
                    add = Self.scaled(add, graphWidth, maxChange)
                    del = total - add
                } else {
                    del = Self.scaled(del, graphWidth, maxChange)
                    add = total - del
                }
            }
            let changed = file.added + file.deleted
            out += " \(name)\(padding) | " + Self.padded(String(changed), numberWidth) + (changed > 0 ? " " : "")
            out += String(repeating: "+", count: add) + String(repeating: "-", count: del) + "\n"
        }
        return out + summary + "\n"
    }

    /// ` 3 files changed, 5 insertions(+), 1 deletion(-)`: binary files count as files, not lines.
    var summary: String {
        let text = files.filter { !$0.binary }
        let insertions = text.reduce(0) { $0 + $1.added }, deletions = text.reduce(0) { $0 + $1.deleted }
        var line = " \(files.count) file\(files.count == 1 ? "" : "s") changed"
        if insertions > 0 || deletions == 0 { line += ", \(insertions) insertion\(insertions == 1 ? "" : "s")(+)" }
        if deletions > 0 || insertions == 0 { line += ", \(deletions) deletion\(deletions == 1 ? "" : "s")(-)" }
        return line
    }

    /// A rename's name as git prints it: `dir/{old => new}/rest` around the parts the two paths share (whole
    /// folders), or both paths whole when either is quoted.
    static func renameName(from old: String, to new: String, _ quoting: PathQuoting) -> String {
        let quotedOld = quoting.quoted(old), quotedNew = quoting.quoted(new)
        if quotedOld != old || quotedNew != new { return "\(quotedOld) => \(quotedNew)" }
        let a = Array(old.utf8), b = Array(new.utf8)
        var prefix = 0, index = 0
        while index < a.count, index < b.count, a[index] == b[index] {
            if a[index] == UInt8(ascii: "/") { prefix = index + 1 }
            index += 1
        }
        // With a shared prefix (which ends in a slash), the suffix may reach back onto that slash.
        let floor = prefix - (prefix > 0 ? 1 : 0)
        var suffix = 0, i = a.count - 1, j = b.count - 1
        while i >= floor, j >= floor, i >= 0, j >= 0, a[i] == b[j] {
            if a[i] == UInt8(ascii: "/") { suffix = a.count - i }
            i -= 1
            j -= 1
        }
        let middleA = max(0, a.count - prefix - suffix), middleB = max(0, b.count - prefix - suffix)
        let text = { (bytes: ArraySlice<UInt8>) in String(decoding: bytes, as: UTF8.self) }
        let inner = text(a[prefix..<(prefix + middleA)]) + " => " + text(b[prefix..<(prefix + middleB)])
        guard prefix + suffix > 0 else { return inner }
        return text(a[..<prefix]) + "{" + inner + "}" + text(a[(a.count - suffix)...])
    }

    /// `name` cut from the left to fit `width` columns, behind `...`, from a folder boundary where there is one.
    private static func fitted(_ name: String, in width: Int) -> String {
        guard width < Self.width(of: name) else { return name }
        let room = max(0, width - 3)
        var rest = Substring(name)
        while Self.width(of: rest) > room { rest = rest.dropFirst() }
        if let slash = rest.firstIndex(of: "/") { rest = rest[slash...] }
        return "..." + rest
    }

    /// Characters, where git counts a name's bytes (and so may cut one beyond ASCII in two).
    private static func width(of text: some StringProtocol) -> Int { text.count }

    private static func padded(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// git's `scale_linear`: at least one column for any change.
    private static func scaled(_ it: Int, _ width: Int, _ maxChange: Int) -> Int {
        it == 0 ? 0 : 1 + it * (width - 1) / maxChange
    }
}
