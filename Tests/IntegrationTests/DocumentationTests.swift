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
