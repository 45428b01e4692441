import Foundation
import Testing

@Suite("git aee prune")
struct PruneTests {
    /// Starts a task whose agent hangs, kills its run with SIGKILL once the agent is in, and ends the agent: the task
    /// stays RUNNING with a dead owner and its workspace on disk. Returns the task's id and its workspace.
    func killedTask(_ repo: Scratch, _ name: String) throws -> (id: String, workspace: String) {
        let marks = repo.root.path
        // The sleep's pid is written whole before its file appears (a rename), for the test to end it.
        let agent = try repo.executor(name, "pwd > '\(marks)/\(name).pwd'; sleep 300 & echo $! > '\(marks)/\(name).tmp'; mv '\(marks)/\(name).tmp' '\(marks)/\(name).child'; wait")
        let run = try repo.start(["task", "Hang \(name)", "--agent", agent])
        #expect(waitUntil { FileManager.default.fileExists(atPath: "\(marks)/\(name).child") })
        kill(run.processIdentifier, SIGKILL)
        // What the killed run started outlives it until a resume ends it: ended here, so the run is reaped.
        if let child = pid_t(try repo.mark("\(name).child")) { kill(child, SIGKILL) }
        run.waitUntilExit()
        let workspace = try repo.mark("\(name).pwd")
        return (String(workspace.split(separator: "/").last ?? ""), workspace + "/")
    }

    @Test("--dry-run lists, and prune removes, exactly the workspaces of ended tasks and the pool's extra ones; a running task's stays")
    func workspaces() throws {
        let repo = try calculatorRepository()
        let (canceled, canceledWorkspace) = try killedTask(repo, "canceled")
        #expect(try repo.aee("cancel", canceled).status == 0)
        let (running, runningWorkspace) = try killedTask(repo, "running")
        // Two tasks at once give two workspaces to the pool.
        let both = try ["one", "two"].map { try repo.start(["task", "Fix \($0)", "--agent", try repo.executor($0, "sleep 0.5; " + fixCalculator)]) }
        for run in both { run.waitUntilExit(); #expect(run.terminationStatus == 0) }
        let folder = URL(fileURLWithPath: canceledWorkspace).deletingLastPathComponent().path + "/"
        try repo.git("config", "aee.workspacePool", "1")

        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let dry = try repo.aee("prune", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(Set(dry.stdout.split(separator: "\n").map(String.init)) == [
            "keeping workspace \(runningWorkspace): task \(running) is RUNNING",
            "would remove workspace \(canceledWorkspace) (task \(canceled) is CANCELED)",
            "would remove workspace \(folder).pool-2/ (beyond aee.workspacePool (1))",
        ], "\(dry.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before, "a dry run removes nothing")

        let pruned = try repo.aee("prune")
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(pruned.stdout.split(separator: "\n").count == 2, "\(pruned.stdout)")
        #expect(!FileManager.default.fileExists(atPath: canceledWorkspace))
        #expect(!FileManager.default.fileExists(atPath: folder + ".state/\(canceled)"))
        #expect(!FileManager.default.fileExists(atPath: folder + ".pool-2"))
        #expect(FileManager.default.fileExists(atPath: runningWorkspace), "a task that has not ended keeps its workspace")
        #expect(FileManager.default.fileExists(atPath: folder + ".pool-1/"))
        #expect(try repo.aee("prune").stdout == "", "nothing left to prune")
        // The running task goes on in the workspace prune left it.
        let resumed = try repo.aee("resume", running, "--agent", try repo.executor("fix", fixCalculator))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try repo.fsckIsClean())
    }

    @Test("--branches deletes an ended task's branches only once a branch you keep or a remote holds their commits; unpushed work stays")
    func branches() throws {
        let repo = try calculatorRepository()
        let (merged, _) = try repo.succeed(agent: try repo.executor("merged", fixCalculator), "--merge")
        try repo.git("reset", "-q", "--hard", "HEAD~0")
        let failing = try repo.executor("failing", "echo tried > tried.txt; printf '#!/bin/sh\\nexit 1\\n' > test.sh")
        let failed = try repo.run(Scratch.binary, ["task", "Cannot fix it", "--agent", failing, "--max-iterations", "1", "--json"])
        #expect(failed.status == 1, "\(failed.stderr)")
        let unpushed = try #require(try repo.json(failed.stdout)["id"] as? String)

        #expect(try repo.aee("prune", "--branches").stdout == "", "tasks that ended just now are younger than 14 days")
        let dry = try repo.aee("prune", "--branches", "--older-than", "0", "--dry-run")
        #expect(dry.stdout.contains("would remove branch aee/\(merged) (task \(merged) is SUCCEEDED since "), "\(dry.stdout)")
        #expect(dry.stdout.contains("keeping branch aee/\(unpushed)"), "\(dry.stdout)")
        #expect(try repo.git("rev-parse", "--verify", "-q", "aee/\(merged)") != "")

        #expect(try repo.aee("prune", "--branches", "--older-than", "0").status == 0)
        #expect(try repo.run("/usr/bin/git", ["rev-parse", "--verify", "-q", "aee/\(merged)"]).status != 0, "merged into main: deleted")
        #expect(try repo.git("for-each-ref", "--format=%(refname)", "refs/heads/aee/\(unpushed)*") != "", "unpushed, unmerged work stays")

        // Pushed, its commits are on the remote: now it goes, with its attempt branches.
        let remote = repo.root.appendingPathComponent("remote.git").path
        try repo.git("init", "-q", "--bare", remote)
        try repo.git("remote", "add", "origin", remote)
        try repo.git("push", "-q", "origin", "refs/heads/aee/*:refs/heads/aee/*")
        try repo.git("fetch", "-q", "origin")
        #expect(try repo.aee("prune", "--branches", "--older-than", "0").status == 0)
        #expect(try repo.git("for-each-ref", "--format=%(refname)", "refs/heads/aee/") == "")
        #expect(try repo.fsckIsClean())

        let bad = try repo.aee("prune", "--older-than", "3d")
        #expect(bad.status == 129 && bad.stderr.contains("--older-than needs --branches"), "\(bad.stderr)")
        let badAge = try repo.aee("prune", "--branches", "--older-than", "soon")
        #expect(badAge.status == 129 && badAge.stderr.contains("bad value 'soon' for --older-than"), "\(badAge.stderr)")
    }

    @Test("aee.pruneAfter: a worker prunes after each task it runs; a bad value stops it before it runs anything")
    func workerPrunes() throws {
        let repo = try calculatorRepository()
        let (canceled, canceledWorkspace) = try killedTask(repo, "canceled")
        #expect(try repo.aee("cancel", canceled).status == 0)
        let queued = try #require(try repo.queue(1).first)
        try repo.git("config", "aee.pruneAfter", "later")
        let refused = try repo.aee("worker", "--once", "--agent", try repo.executor("fix", fixCalculator))
        #expect(refused.status == 128 && refused.stderr.contains("aee.pruneAfter"), "\(refused.stderr)")
        try repo.git("config", "aee.pruneAfter", "0")
        let worker = try repo.aee("worker", "--once", "--agent", try repo.executor("fix", fixCalculator))
        #expect(worker.status == 0, "\(worker.stderr)")
        #expect(worker.stdout.contains("removed workspace \(canceledWorkspace) (task \(canceled) is CANCELED)"), "\(worker.stdout)")
        #expect(!FileManager.default.fileExists(atPath: canceledWorkspace))
        // The task it ran is SUCCEEDED but only here: its branch stays.
        #expect(try repo.git("rev-parse", "--verify", "-q", "aee/\(queued)") != "")
        #expect(try repo.fsckIsClean())
    }
}
