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
    /// What `~/` means in a command (HOME).
    let home: String?

    /// Problems found, one line each; none means healthy.
    func problems() throws -> [String] {
        var problems: [String] = []
        if let repository = workingTree {
            if try repository.hasConflicts() { problems.append("unmerged paths in the index: finish or abort the merge") }
            do {
                for file in try repository.changedPaths() where hasConflictMarkers(root + file) {
                    problems.append("\(file): conflict markers")
                }
            } catch let error as GitError where !error.isOutOfSpace {
                // What git cannot read in the tree (a path longer than it takes) is a problem of the tree's.
                problems.append("the working tree cannot be read as git reads it: \(error.message.excerpt(200))")
            }
        }
        for gate in catalog.gates.values.sorted(by: { $0.name < $1.name }) {
            guard let command = gate.definition.run, let found = ShellCommand.problem(in: command, root: root, path: path, home: home) else { continue }
            problems.append("gate '\(gate.name)': \(found.problem)")
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

}
