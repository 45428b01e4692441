/// The parts of the manual page and of `docs/cli.md` that come from the commands' declarations: the synopsis and
/// every option with its help. `git aee help --reference <part>` prints each; the documentation test checks the
/// checked-in files hold exactly that (`make docs` writes it there).
enum ReferenceDocs {
    /// The names of the parts, as their markers in the files carry them.
    static let parts = ["markdown", "options", "synopsis"]

    /// The part named `part`, or nil for a name that is none.
    static func render(_ part: String) -> String? {
        switch part {
        case "synopsis": manualSynopsis()
        case "options": manualOptions()
        case "markdown": markdownOptions()
        default: nil
        }
    }

    /// A command's synopsis with each option's short form beside its long one, as the manual and cli.md write it.
    static func synopsis(of spec: CommandSpec) -> String {
        spec.options.reduce(spec.synopsis) { text, option in
            option.short.map { text.replacing("[--\(option.long)", with: "[-\($0)|--\(option.long)") } ?? text
        }
    }

    /// The manual's SYNOPSIS block: one line per command, a long one wrapped with an indent.
    static func manualSynopsis() -> String {
        var lines = [".nf"]
        for spec in commands.map { $0.spec } {
            var line = "\\fBgit aee \(spec.name)\\fR"
            var width = "git aee \(spec.name)".count
            for word in groups(of: synopsis(of: spec)) {
                if width + word.count + 1 > 150 {
                    lines.append(line)
                    (line, width) = ("       ", 7)
                }
                line += " " + roff(String(word))
                width += word.count + 1
            }
            lines.append(line)
        }
        return (lines + [".fi"]).joined(separator: "\n") + "\n"
    }

    /// A synopsis split at the spaces outside brackets and parentheses: the pieces a line may be wrapped between.
    static func groups(of synopsis: String) -> [String] {
        var groups = [""]
        var depth = 0
        for character in synopsis {
            if character == " ", depth == 0 {
                groups.append("")
                continue
            }
            if "[(".contains(character) { depth += 1 }
            if "])".contains(character) { depth -= 1 }
            groups[groups.count - 1].append(character)
        }
        return groups.filter { !$0.isEmpty }
    }

    /// The manual's OPTIONS section: each command's options with their help.
    static func manualOptions() -> String {
        var lines = [".SH OPTIONS"]
        for spec in commands.map { $0.spec } where !spec.options.isEmpty {
            lines.append(".SS \"git aee \(spec.name)\"")
            for option in spec.options {
                let short = option.short.map { "\\fB\\-\($0)\\fR, " } ?? ""
                lines += [".TP", short + "\\fB\(roff("--" + option.long))\\fR" + (option.value.map { " \\fI<\(roff($0))>\\fR" } ?? ""), roff(option.help)]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// docs/cli.md's option tables: one per command that has options.
    static func markdownOptions() -> String {
        var lines: [String] = []
        for spec in commands.map { $0.spec } where !spec.options.isEmpty {
            lines += ["", "### `git aee \(spec.name)`", "", "| option | what it does |", "| --- | --- |"]
            for option in spec.options {
                let name = (option.short.map { "-\($0), " } ?? "") + "--\(option.long)" + (option.value.map { " <\($0)>" } ?? "")
                lines.append("| `\(name.replacing("|", with: "\\|"))` | \(option.help.replacing("|", with: "\\|")) |")
            }
        }
        return lines.dropFirst().joined(separator: "\n") + "\n"
    }

    /// Text as roff prints it: hyphens as \- (so they are not broken or turned into dashes), backslashes doubled.
    static func roff(_ text: String) -> String {
        text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
    }
}
