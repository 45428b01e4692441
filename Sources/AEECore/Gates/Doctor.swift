import Git
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The built-in gate: repository and working-tree health, checked in-process in milliseconds.
struct Doctor {
    /// The repository whose working tree is judged, or nil when judging a commit's files copied elsewhere: then the
    /// index and the working tree are not what is judged.
    let workingTree: Repository?
    let root: String
    let catalog: GateCatalog
    let path: String

    /// Problems found, one line each; none means healthy.
    func problems() throws -> [String] {
        var problems: [String] = []
        if let repository = workingTree {
            if try repository.hasConflicts() { problems.append("unmerged paths in the index: finish or abort the merge") }
            for file in try repository.changedPaths() where hasConflictMarkers(root + file) {
                problems.append("\(file): conflict markers")
            }
        }
        for gate in catalog.gates.values.sorted(by: { $0.name < $1.name }) {
            guard let command = gate.definition.run, let program = Self.program(of: command) else { continue }
            if !Self.isRunnable(program, root: root, path: path) { problems.append("gate '\(gate.name)': '\(program)' is not on PATH") }
        }
        return problems
    }

    /// A changed text file (no NUL in its first 8 KiB, at most 1 MiB) with a line that starts a conflict hunk.
    func hasConflictMarkers(_ file: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              attributes[.type] as? FileAttributeType == .typeRegular,
              (attributes[.size] as? Int ?? 0) <= 1 << 20,
              let data = FileManager.default.contents(atPath: file), !data.prefix(8192).contains(0) else { return false }
        return data.split(separator: UInt8(ascii: "\n")).contains { line in
            line.starts(with: "<<<<<<< ".utf8) || line.starts(with: ">>>>>>> ".utf8)
        }
    }

    /// The program a shell command line starts with, or nil when the shell itself handles it.
    static func program(of command: String) -> String? {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        // Skip `VAR=value` prefixes; a line that starts with shell syntax is the shell's business.
        guard let first = words.first(where: { !$0.contains("=") || $0.hasPrefix("=") }) else { return nil }
        let shellWords: Set<String> = ["true", "false", "echo", "exit", "cd", "test", "[", ":", ".", "export", "set", "printf",
                                       "command", "exec", "if", "for", "while", "case", "{", "(", "!", "read", "eval", "source"]
        if shellWords.contains(first) || first.first.map({ "({$'\"`".contains($0) }) == true { return nil }
        return first
    }

    /// Whether `program` names an executable: a path (relative ones from `root`) or a name found on `path`.
    static func isRunnable(_ program: String, root: String, path: String) -> Bool {
        if program.contains("/") {
            let full = program.hasPrefix("/") ? program : root + program
            return FileManager.default.isExecutableFile(atPath: full)
        }
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
    }
}
