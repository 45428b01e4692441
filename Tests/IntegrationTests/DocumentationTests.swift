import Foundation
import Testing

/// The options each command takes, as its `-h` lists them, against the usage line, `docs/cli.md` and the manual page:
/// an option that exists in the code is documented in all three.
@Suite("the documentation names every option")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The commands `git aee help` lists.
    func commands(_ scratch: Scratch) throws -> [String] {
        try scratch.aee("help").stdout.split(separator: "\n").filter { $0.hasPrefix("   ") }.compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// The manual's synopsis lines of `command`: the one naming it and the indented ones that go on from it.
    static func synopsis(of command: String, in manual: String) -> String {
        var lines: [Substring] = []
        for line in manual.split(separator: "\n") {
            if line.hasPrefix("\\fBgit aee \(command)\\fR") || (!lines.isEmpty && line.hasPrefix(" ")) {
                lines.append(line)
            } else if !lines.isEmpty {
                break
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test("every option of every command is in its usage line, its row of docs/cli.md and its synopsis in git-aee.1")
    func everyOptionDocumented() throws {
        let scratch = try Scratch(initialize: false)
        let reference = try String(contentsOf: Self.root.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        let manual = try String(contentsOf: Self.root.appendingPathComponent("docs/git-aee.1"), encoding: .utf8)
        let names = try commands(scratch)
        #expect(names.count > 10)
        for command in names {
            let help = try scratch.aee(command, "-h").stdout
            let usage = help.split(separator: "\n").first.map(String.init) ?? ""
            let optionLines = help.split(separator: "\n").filter { $0.hasPrefix("    -") && !$0.hasPrefix("    -h ") }
            let options = optionLines.compactMap { $0.split(separator: " ").first { $0.hasPrefix("--") }.map(String.init) }
            // `-j, --jobs <n>`: the short form is documented beside the long one.
            let shorts = optionLines.compactMap { line in line.split(separator: " ").first.flatMap { $0.hasSuffix(",") ? String($0.dropLast()) : nil } }
            let rows = reference.split(separator: "\n").filter { $0.hasPrefix("| `\(command) ") || $0.hasPrefix("| `\(command)`") }.joined(separator: "\n")
            let synopsis = Self.synopsis(of: command, in: manual)
            #expect(!rows.isEmpty, "docs/cli.md has no row for \(command)")
            #expect(!synopsis.isEmpty, "git-aee.1 has no synopsis for \(command)")
            for short in shorts {
                #expect(rows.contains("[\(short)\\|--"), "docs/cli.md: \(command) lacks \(short)")
                #expect(synopsis.contains("[\\\(short)|\\-\\-"), "git-aee.1: \(command) lacks \(short)")
            }
            for option in options {
                #expect(usage.contains(option), "\(command) -h: the usage line lacks \(option)")
                #expect(rows.contains(option), "docs/cli.md: \(command) lacks \(option)")
                #expect(synopsis.contains(option.replacingOccurrences(of: "-", with: "\\-")), "git-aee.1: \(command) lacks \(option)")
            }
        }
    }
}

extension DocumentationTests {
    /// The regions of `text` between `BEGIN GENERATED <part>` and `END GENERATED <part>` marker lines, by part, as
    /// the ranges of the lines between them.
    static func generatedRegions(in text: String) -> [(part: String, range: Range<String.Index>)] {
        var regions: [(String, Range<String.Index>)] = []
        var searchFrom = text.startIndex
        while let begin = text.range(of: "BEGIN GENERATED ", range: searchFrom..<text.endIndex) {
            let part = String(text[begin.upperBound...].prefix { $0.isLetter })
            guard let startOfRegion = text[begin.upperBound...].firstIndex(of: "\n").map({ text.index(after: $0) }),
                  let end = text.range(of: "END GENERATED \(part)", range: startOfRegion..<text.endIndex) else { break }
            let endOfRegion = text[..<end.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? end.lowerBound
            regions.append((part, startOfRegion..<endOfRegion))
            searchFrom = end.upperBound
        }
        return regions
    }

    @Test("the synopsis and option lists in git-aee.1 and docs/cli.md are what the commands' declarations generate (AEE_UPDATE_DOCS=1 writes them)")
    func generatedParts() throws {
        let scratch = try Scratch(initialize: false)
        let update = ProcessInfo.processInfo.environment["AEE_UPDATE_DOCS"] == "1"
        for (file, parts) in [("docs/git-aee.1", ["synopsis", "options"]), ("docs/cli.md", ["markdown"])] {
            let url = Self.root.appendingPathComponent(file)
            var text = try String(contentsOf: url, encoding: .utf8)
            let regions = Self.generatedRegions(in: text)
            #expect(regions.map(\.part) == parts, "\(file) marks the parts \(parts)")
            for (part, range) in regions.reversed() {
                let generated = try scratch.aee("help", "--reference", part).stdout
                #expect(!generated.isEmpty)
                if update { text.replaceSubrange(range, with: generated) } else {
                    #expect(String(text[range]) == generated, "\(file) differs from 'git aee help --reference \(part)': run 'make docs'")
                }
            }
            if update { try text.write(to: url, atomically: true, encoding: .utf8) }
        }
    }
}
