import Foundation
import Git
import Testing

/// A fresh `git init` in a temporary directory, removed afterwards.
final class TemporaryRepository {
    let path: String
    let repository: Repository

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("aee-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["init", "-q", path]
        try process.run()
        process.waitUntilExit()
        repository = try Repository.open(at: path)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    let signature = Signature(name: "T", email: "t@example.com", time: 1_800_000_000, offsetMinutes: 0)

    func commit(_ files: [String: String], parent: OID? = nil) throws -> OID {
        let base = try parent.map { try repository.commit($0).tree }
        let updates = try files.map { TreeUpdate(path: $0.key, blob: try repository.writeBlob(Array($0.value.utf8))) }
        let tree = try repository.writeTree(base: base, applying: updates)
        return try repository.writeCommit(tree: tree, parents: parent.map { [$0] } ?? [], author: signature, committer: signature, message: "m\n")
    }
}

@Suite("the libgit2 wrapper")
struct RepositoryTests {
    @Test("a tree's id without one path, computed in memory, is the id libgit2 writes for that tree")
    func treeIDWithoutPath() throws {
        let temp = try TemporaryRepository()
        let commit = try temp.commit([".aee/config.json": "{}", ".aee/tasks/x/task.json": "{}", "src/a.swift": "a", "z": "z"])
        let tree = try temp.repository.commit(commit).tree
        let repository = temp.repository
        for path in [".aee/tasks", ".aee", "src/a.swift", "z", "missing", ".aee/missing/deeper"] {
            let expected = try repository.entry(at: path, inTree: tree) == nil
                ? tree : try repository.writeTree(base: tree, applying: [TreeUpdate(path: path, blob: nil)])
            #expect(try repository.treeID(tree, removing: path) == expected, "\(path)")
        }
        // Removing the only entry of a subtree drops the subtree, as git does.
        let lonely = try temp.repository.commit(try temp.commit([".aee/tasks/x/task.json": "{}", "b": "b"])).tree
        #expect(try repository.treeID(lonely, removing: ".aee/tasks") == (try repository.writeTree(base: lonely, applying: [TreeUpdate(path: ".aee", blob: nil)])))
    }

    @Test("a tree update rebuilds the changed path and keeps every other entry")
    func treeUpdate() throws {
        let temp = try TemporaryRepository()
        let first = try temp.commit(["a/b/c.txt": "c", "a/d.txt": "d", "top.txt": "t"])
        let second = try temp.commit(["a/b/e.txt": "e"], parent: first)
        let tree = try temp.repository.commit(second).tree
        #expect(try temp.repository.blob(at: "a/b/c.txt", inTree: tree) == Array("c".utf8))
        #expect(try temp.repository.blob(at: "a/b/e.txt", inTree: tree) == Array("e".utf8))
        #expect(try temp.repository.blob(at: "top.txt", inTree: tree) == Array("t".utf8))
        #expect(try temp.repository.blob(at: "a/missing", inTree: tree) == nil)
        #expect(try temp.repository.entries(ofTree: try #require(try temp.repository.entry(at: "a", inTree: tree)).oid).map(\.name) == ["b", "d.txt"])
        // The untouched subtree is the very same object.
        #expect(try temp.repository.entry(at: "top.txt", inTree: tree)?.oid == (try temp.repository.entry(at: "top.txt", inTree: try temp.repository.commit(first).tree)?.oid))
    }

    @Test("changed paths between trees: edits, additions, deletions and a file become a directory; equal subtrees skipped")
    func changedPaths() throws {
        let temp = try TemporaryRepository()
        let repository = temp.repository
        let old = try repository.commit(try temp.commit(["a/b/c.txt": "c", "a/d.txt": "d", "top.txt": "t", "same/x.txt": "x", "f": "file"])).tree
        let new = try repository.commit(try temp.commit(["a/b/c.txt": "C", "a/d.txt": "d", "a/new.txt": "n", "same/x.txt": "x", "f/inner": "i"])).tree
        #expect(try repository.changedPaths(from: old, to: new) == ["a/b/c.txt", "a/new.txt", "f", "f/inner", "top.txt"])
        #expect(try repository.changedPaths(from: new, to: old) == ["a/b/c.txt", "a/new.txt", "f", "f/inner", "top.txt"])
        #expect(try repository.changedPaths(from: nil, to: old) == ["a/b/c.txt", "a/d.txt", "f", "same/x.txt", "top.txt"])
        #expect(try repository.changedPaths(from: old, to: old).isEmpty)
    }

    @Test("trees merge as git merges them: changes to different files and different parts of one file combine; the same lines changed two ways conflict")
    func mergeTrees() throws {
        let scratch = try TemporaryRepository()
        let repository = scratch.repository
        let lines = (1...9).map { "line \($0)\n" }
        let base = try scratch.commit(["f": lines.joined(), "g": "g\n"])
        func tree(_ commit: OID) throws -> OID { try repository.commit(commit).tree }
        var top = lines
        top[0] = "top\n"
        var bottom = lines
        bottom[8] = "bottom\n"
        let ours = try scratch.commit(["f": top.joined()], parent: base)
        let theirs = try scratch.commit(["f": bottom.joined(), "h": "new\n"], parent: base)
        guard case .merged(let merged) = try repository.mergeTrees(ancestor: try tree(base), ours: try tree(ours), theirs: try tree(theirs)) else {
            Issue.record("a clean merge conflicted")
            return
        }
        var both = top
        both[8] = "bottom\n"
        #expect(try repository.blob(at: "f", inTree: merged) == Array(both.joined().utf8))
        #expect(try repository.blob(at: "h", inTree: merged) == Array("new\n".utf8))
        #expect(try repository.blob(at: "g", inTree: merged) == Array("g\n".utf8))
        let other = try scratch.commit(["f": "other\n" + lines.dropFirst().joined(), "g": "changed\n"], parent: base)
        #expect(try repository.mergeTrees(ancestor: try tree(base), ours: try tree(ours), theirs: try tree(other)) == .conflicts(["f"]))
    }

    @Test("a ref moves only from the value the writer expects")
    func compareAndSwap() throws {
        let temp = try TemporaryRepository()
        let one = try temp.commit(["f": "1"])
        let two = try temp.commit(["f": "2"], parent: one)
        let three = try temp.commit(["f": "3"], parent: one)
        try temp.repository.updateReference("refs/heads/x", to: one, expecting: nil, reflogMessage: "create")
        #expect(throws: GitError.self) { try temp.repository.updateReference("refs/heads/x", to: two, expecting: nil, reflogMessage: "again") }
        try temp.repository.updateReference("refs/heads/x", to: two, expecting: one, reflogMessage: "advance")
        let stale = #expect(throws: GitError.self) { try temp.repository.updateReference("refs/heads/x", to: three, expecting: one, reflogMessage: "stale") }
        #expect(stale?.isModified == true)
        #expect(try temp.repository.resolveReference("refs/heads/x") == two)
        #expect(try temp.repository.resolveReference("refs/heads/none") == nil)
    }

    @Test("the refs in a directory, named without reading them: loose and packed, not a lock, not one a level down")
    func referenceNames() throws {
        let temp = try TemporaryRepository()
        let commit = try temp.commit(["f": "1"])
        for name in ["refs/heads/aee/packed", "refs/heads/aee/both", "refs/heads/aee/deeper/one", "refs/heads/main", "refs/tags/aee"] {
            try temp.repository.updateReference(name, to: commit, expecting: nil, reflogMessage: "create")
        }
        let packing = Process()
        packing.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        packing.arguments = ["-C", temp.path, "pack-refs", "--all"]
        try packing.run()
        packing.waitUntilExit()
        try temp.repository.updateReference("refs/heads/aee/both", to: try temp.commit(["f": "2"], parent: commit), expecting: commit, reflogMessage: "move")
        try temp.repository.updateReference("refs/heads/aee/loose", to: commit, expecting: nil, reflogMessage: "create")
        FileManager.default.createFile(atPath: temp.path + "/.git/refs/heads/aee/loose.lock", contents: Data())
        #expect(temp.repository.referenceNames(in: "refs/heads/aee/") == ["refs/heads/aee/both", "refs/heads/aee/loose", "refs/heads/aee/packed"])
        #expect(temp.repository.referenceNames(in: "refs/heads/aee/", startingWith: "p") == ["refs/heads/aee/packed"])
        #expect(temp.repository.referenceNames(in: "refs/heads/aee/", startingWith: "lo") == ["refs/heads/aee/loose"])
        #expect(temp.repository.referenceNames(in: "refs/heads/none/") == [])
    }

    @Test("errors carry libgit2's message and the failing call")
    func errors() throws {
        let temp = try TemporaryRepository()
        let missing = try #require(OID(hex: String(repeating: "ab", count: 20)))
        let error = #expect(throws: GitError.self) { try temp.repository.commit(missing) }
        #expect(error?.function == "git_commit_lookup")
        #expect(error?.isNotFound == true)
        #expect(error?.message.isEmpty == false)
    }

    @Test("HEAD in a new repository is an unborn branch")
    func unbornHead() throws {
        let temp = try TemporaryRepository()
        guard case .unborn(let branch) = try temp.repository.head() else { Issue.record("expected unborn"); return }
        #expect(branch.hasPrefix("refs/heads/"))
    }

    /// Runs `command` with `arguments`; whether it exited 0.
    static func succeeds(_ command: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test("a commit that cannot be written (its disk full) is an error, not the id of an object that is not there",
          .enabled(if: getuid() == 0, "mounting a small file system needs root"))
    func commitOnFullDisk() throws {
        let temp = try TemporaryRepository()
        let repository = temp.repository
        let tree = try repository.writeTree(base: nil, applying: [TreeUpdate(path: "a", blob: try repository.writeBlob(Array("a\n".utf8)))])
        // The objects on a small file system of their own, then filled to the last block: the tree and its blob are
        // there, the commit finds no room. libgit2 1.5 reports that commit as written.
        let objects = temp.path + "/.git/objects"
        try FileManager.default.moveItem(atPath: objects, toPath: objects + ".before")
        try FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: false)
        guard Self.succeeds("/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", objects]) else { return }
        defer { _ = Self.succeeds("/bin/umount", ["-l", objects]) }
        #expect(Self.succeeds("/bin/sh", ["-c", "cp -a '\(objects).before'/. '\(objects)'/ && dd if=/dev/zero of='\(objects)/filler' bs=4k"]) == false,
                "dd stops when the disk is full")
        #expect {
            try repository.writeCommit(tree: tree, parents: [], author: temp.signature, committer: temp.signature, message: "m\n")
        } throws: { error in
            (error as? GitError)?.isOutOfSpace == true
        }
    }
}
