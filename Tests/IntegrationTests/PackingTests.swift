import Foundation
import Testing

@Suite("git aee packs the loose objects it writes")
struct PackingTests {
    /// `git count-objects -v` as numbers, by name (`count`, `packs`, `garbage`...).
    func objectCounts(_ repo: Scratch) throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try repo.git("count-objects", "-v").split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            return parts.count == 2 ? Int(parts[1]).map { (parts[0], $0) } : nil
        })
    }

    @Test("200 tasks written by two processes at once: never more loose objects than aee.autoPack, few packs, git fsck --strict clean, nothing lost, a kept pack and unreachable objects left alone")
    func twoHundredTasks() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.git("config", "aee.autoPack", "100")
        // What git aee must never drop: an object nothing reaches (git's gc prunes those, in its own time), and a pack
        // the user marked to keep, with an object of its own.
        let unreachable = try repo.git("hash-object", "-w", "--stdin", stdin: "nothing reaches this\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let keptObject = try repo.git("hash-object", "-w", "--stdin", stdin: "kept in a pack of its own\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let keptPack = try repo.git("pack-objects", "-q", ".git/objects/pack/pack", stdin: keptObject + "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let packDirectory = repo.directory.appendingPathComponent(".git/objects/pack").path
        FileManager.default.createFile(atPath: "\(packDirectory)/pack-\(keptPack).keep", contents: nil)
        let keptBytes = try Data(contentsOf: URL(fileURLWithPath: "\(packDirectory)/pack-\(keptPack).pack"))

        let writers = try ["a", "b"].map { name in
            try repo.start(["-c", "for i in $(seq 1 100); do '\(Scratch.binary)' task \"Task \(name)$i\" --draft >/dev/null || exit 1; done"], executable: "/bin/sh")
        }
        var most = 0
        while writers.contains(where: \.isRunning) {
            // Loose objects counted as git counts them, while both write.
            most = max(most, try objectCounts(repo)["count"] ?? 0)
            usleep(50_000)
        }
        for writer in writers { writer.waitUntilExit(); #expect(writer.terminationStatus == 0) }

        let counts = try objectCounts(repo)
        // A write that crosses the threshold packs before it returns; the other process may have written since.
        #expect(counts["count"]! <= 100, "\(counts)")
        // While one process packs, the other's writes stay loose until its next write (a task is six objects).
        #expect(most <= 100 + 5 * 6, "seen \(most) loose objects while tasks were written")
        // Each pack at least twice all smaller ones together: the user's, the kept one and a handful of git aee's.
        #expect(counts["packs"]! <= 8, "\(counts)")
        #expect(counts["garbage"] == 0)
        #expect(try repo.fsckIsClean())
        let listed = try repo.json(try repo.aee("list", "--json").stdout)["tasks"] as? [[String: Any]]
        #expect(listed?.count == 200)
        #expect(try repo.run("/usr/bin/git", ["cat-file", "-e", unreachable]).status == 0, "an unreachable object was dropped")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(packDirectory)/pack-\(keptPack).pack")) == keptBytes, "the kept pack changed")
    }

    @Test("a damaged loose object is left where it is, for git fsck to report, and the others are packed")
    func damagedObject() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.git("config", "aee.autoPack", "10")
        let damaged = repo.directory.appendingPathComponent(".git/objects/ab/" + String(repeating: "c", count: 38))
        try FileManager.default.createDirectory(at: damaged.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("not zlib".utf8).write(to: damaged)
        for index in 1...4 { _ = try repo.draft("Task \(index)") }
        #expect(try objectCounts(repo)["count"]! <= 10)
        #expect(FileManager.default.fileExists(atPath: damaged.path))
        #expect(try (repo.json(try repo.aee("list", "--json").stdout)["tasks"] as? [Any])?.count == 4)
    }

    @Test("from 256 up, the count is estimated from a sample, as git gc --auto does: packing still happens near the threshold, and everything stays readable")
    func estimated() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.git("config", "aee.autoPack", "256")
        // About 7 objects a draft: 840, so the sample (a sixteenth, about 52) has passed 256/16 long before the end
        // (the chance it never does is under one in a million), and never twice the threshold unpacked.
        for index in 1...120 { _ = try repo.draft("Task \(index)") }
        let counts = try objectCounts(repo)
        #expect(counts["packs"]! >= 1 && counts["count"]! < 2 * 256, "\(counts)")
        #expect(try (repo.json(try repo.aee("list", "--json").stdout)["tasks"] as? [Any])?.count == 120)
        _ = try repo.git("fsck", "--strict")
    }

    @Test("a long run packs as it goes, counting after every 16th branch move: its loose objects stay near aee.autoPack")
    func longRun() throws {
        let repo = try calculatorRepository(fixed: true)
        try repo.git("config", "aee.autoPack", "20")
        // Thirty work items in one process: some 450 objects over about 70 moves of the task's branches.
        let agent = try repo.agentScript("thirty-items", """
            #!/bin/sh
            if [ "$AEE_STAGE" = plan ]; then
              printf '{"work_items": [' > "$AEE_OUTPUT_FILE"; sep=""
              for i in $(seq 1 30); do printf '%s{"id": "w%d", "title": "item %d"}' "$sep" $i $i >> "$AEE_OUTPUT_FILE"; sep=", "; done
              printf ']}\n' >> "$AEE_OUTPUT_FILE"; exit 0
            fi
            date +%s%N > "item-$(cat "$AEE_WORK_ITEM_FILE" | cksum | cut -d' ' -f1).txt"
            """)
        let run = try repo.aee("task", "Thirty items", "--agent", "'\(agent)'")
        #expect(run.status == 0, "\(run.stderr)")
        let counts = try objectCounts(repo)
        // Packed during the run, not only at its first move (when there was nothing to pack), and at most 16 moves'
        // objects (some 12 each) above the threshold at its end.
        #expect(counts["in-pack"]! > 300 && counts["count"]! <= 20 + 16 * 12, "\(counts)")
        #expect(try repo.fsckIsClean())
    }

    @Test("aee.autoPack=0 leaves every object loose, as libgit2 writes it")
    func turnedOff() throws {
        let repo = try Scratch()
        try repo.commitFile()
        try repo.git("config", "aee.autoPack", "0")
        for index in 1...3 { _ = try repo.draft("Task \(index)") }
        let counts = try objectCounts(repo)
        #expect(counts["count"]! >= 3 + 3 * 6 && counts["packs"] == 0, "\(counts)")
    }
}
