import CLibGit2
import Testing
@testable import Git

@Suite("objects from an untrusted program are checked as git fsck --strict would")
struct ObjectCheckTests {
    func tree(_ entries: [(String, String)]) -> [UInt8] {
        entries.flatMap { mode, name in Array("\(mode) \(name)".utf8) + [0] + [UInt8](repeating: 7, count: 20) }
    }

    @Test("a sound tree lists what it refers to; unsorted, duplicate, .git, . and .. names and unknown modes are refused")
    func trees() {
        #expect(ObjectCheck.tree(tree([("100644", "a"), ("40000", "b"), ("160000", "c")]))?.count == 2)
        // `b.c` sorts before the tree `b` (compared as `b/`).
        #expect(ObjectCheck.tree(tree([("100644", "b.c"), ("40000", "b")])) != nil)
        for bad in [[("100644", "b"), ("100644", "a")], [("100644", "a"), ("100644", "a")], [("100644", ".git")], [("40000", ".GIT")],
                    [("100644", "..")], [("100666", "a")]] {
            #expect(ObjectCheck.tree(tree(bad)) == nil, "\(bad)")
        }
        #expect(ObjectCheck.tree(Array("100644 a".utf8)) == nil, "cut short")
    }

    @Test("a commit needs a tree, an author and a committer")
    func commits() {
        let tree = String(repeating: "a", count: 40), parent = String(repeating: "b", count: 40)
        let sound = "tree \(tree)\nparent \(parent)\nauthor A <a> 1 +0000\ncommitter C <c> 1 +0000\n\nmessage\n"
        #expect(ObjectCheck.commit(Array(sound.utf8))?.parents.map(\.hex) == [parent])
        #expect(ObjectCheck.commit(Array("tree \(tree)\n\nno people\n".utf8)) == nil)
        #expect(ObjectCheck.commit(Array("parent \(parent)\nauthor A <a> 1 +0000\ncommitter C <c> 1 +0000\n\nx\n".utf8)) == nil)
    }
}
