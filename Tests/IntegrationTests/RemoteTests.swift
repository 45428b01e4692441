import Foundation
import Testing

extension Scratch {
    /// A bare repository `remote.git` beside the repository, which gets its `main`, and `count` clones of it
    /// (the repository itself is the first); returns the clones' directories.
    func sharedThroughRemote(clones count: Int) throws -> [URL] {
        let remote = root.appendingPathComponent("remote.git")
        try git("init", "-q", "--bare", remote.path)
        try git("remote", "add", "origin", remote.path)
        try git("push", "-q", "origin", "main")
        return try [directory] + (1..<count).map { index in
            let clone = root.appendingPathComponent("clone\(index)")
            try git("clone", "-q", remote.path, clone.path)
            return clone
        }
    }

    /// `git <arguments>` in the bare remote.
    func remoteGit(_ arguments: String...) throws -> String {
        try run("/usr/bin/git", ["--git-dir", root.appendingPathComponent("remote.git").path] + arguments).stdout
    }
}

@Suite("workers on several clones sharing one remote")
struct RemoteTests {
    @Test("3 clones with workers against one bare remote: each task runs exactly once and every record ends on the remote")
    func threeClones() throws {
        let repo = try calculatorRepository(fixed: true)
        let clones = try repo.sharedThroughRemote(clones: 3)
        let ids = try (1...9).map { index in
            let outcome = try repo.aee("task", "Make calc add \(index)", "--queue", "--push", "origin")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            return outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try repo.remoteGit("for-each-ref", "--format=%(refname)", "refs/heads/aee/").split(separator: "\n").count == 9)

        let workers = try clones.map { clone in
            try repo.start(["worker", "--once", "--jobs", "2", "--remote", "origin", "--agent", exampleAgent("learner")], in: clone)
        }
        for worker in workers {
            worker.waitUntilExit()
            #expect(worker.terminationStatus == 0)
        }
        for id in ids {
            let events = try repo.remoteGit("log", "--format=%(trailers:key=AEE-Event,valueonly)", "aee/\(id)").split(separator: "\n")
            #expect(events.filter { $0 == "started" }.count == 1, "\(id): \(events)")
            #expect(events.filter { $0 == "planned" }.count == 1, "\(id): \(events)")
            #expect(events.first == "succeeded", "\(id): \(events)")
        }
        // Passing attempts' branches are deleted on the remote too; nothing else was pushed there.
        #expect(try repo.remoteGit("for-each-ref", "--format=%(refname)").split(separator: "\n").count == 10)
        #expect(try repo.remoteGit("fsck", "--strict", "--no-progress").isEmpty)
        for clone in clones {
            #expect(try repo.run("/usr/bin/git", ["fsck", "--strict", "--no-progress"], in: clone).status == 0)
            // A push refspec would silently change what a plain `git push` pushes; none may appear.
            #expect(try repo.run("/usr/bin/git", ["config", "--get-all", "remote.origin.push"], in: clone).status == 1)
        }
    }
}
