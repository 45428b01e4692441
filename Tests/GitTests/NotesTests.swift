import Foundation
import Git
import Testing

@Suite("notes")
struct NotesTests {
    @Test("a note goes where git looks for it: under the fan-out folders the notes tree has, replacing the one there; git reads them all")
    func fanOut() throws {
        let temp = try TemporaryRepository()
        let repository = temp.repository
        // Two objects whose ids start differently, the first one's note already under a fan-out folder, as git
        // writes a notes tree once it holds many notes.
        let first = try repository.writeBlob(Array("first\n".utf8))
        var n = 0, second = first
        while second.hex.prefix(2) == first.hex.prefix(2) {
            n += 1
            second = try repository.writeBlob(Array("second \(n)\n".utf8))
        }
        let fannedOut = "\(first.hex.prefix(2))/\(first.hex.dropFirst(2))"
        let tree = try repository.writeTree(base: nil, applying: [TreeUpdate(path: fannedOut, blob: try repository.writeBlob(Array("old\n".utf8)))])
        let notes = try repository.writeCommit(tree: tree, parents: [], author: temp.signature, committer: temp.signature, message: "notes\n")
        try repository.updateReference("refs/notes/t", to: notes, expecting: nil, reflogMessage: "test")

        try repository.setNote("new\n", on: first, in: "refs/notes/t", signature: temp.signature, message: "replace\n")
        try repository.setNote("other\n", on: second, in: "refs/notes/t", signature: temp.signature, message: "add\n")

        #expect(try git(["ls-tree", "-r", "--name-only", "refs/notes/t"], in: temp.path) == [fannedOut, second.hex].sorted().joined(separator: "\n") + "\n")
        #expect(try git(["notes", "--ref", "t", "show", first.hex], in: temp.path) == "new\n")
        #expect(try git(["notes", "--ref", "t", "show", second.hex], in: temp.path) == "other\n")
        #expect(try git(["log", "--format=%s", "refs/notes/t"], in: temp.path) == "add\nreplace\nnotes\n")
        // Each note is one commit, the notes ref's: no commit or tree is left for gc (the noted blobs are, here).
        let fsck = try git(["fsck", "--no-progress", "--no-reflogs"], in: temp.path)
        #expect(!fsck.contains("dangling commit") && !fsck.contains("dangling tree"), "\(fsck)")
    }

    private func git(_ arguments: [String], in path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-C", path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: bytes, as: UTF8.self)
    }
}
