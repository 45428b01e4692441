import Foundation
import Testing

@Suite("nothing an agent or a gate starts outlives it")
struct ContainmentTests {
    @Test("an agent's setsid child and a gate's orphaned grandchild are gone when the task ends, checked through /proc")
    func setsidDescendants() throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("aee-marks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: marks) }
        // The gate's grandchild leaves its group (setsid) and its parent (the subshell exits): only its tag finds it.
        let repo = try calculatorRepository(gates: #""tests": {"run": "(setsid sleep 1000 & echo $! > '\#(marks)/gate'); ./test.sh"}"#)
        let agent = try repo.executor("daemonizer", """
            setsid sleep 1000 &
            echo $! > '\(marks)/agent'
            \(fixCalculator)
            """)
        let run = try repo.aee("task", "Fix it", "--agent", agent)
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["agent", "gate"] {
            let pid = try String(contentsOfFile: "\(marks)/\(name)", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(processIsGone(pid), "the \(name)'s daemon survived: \(pid)")
        }
    }

    @Test("Ctrl-C reaches the agent as SIGINT first (it gets to clean up), then its leftovers go; exit 130; also when it comes twice at once, as through `git aee`, whose git passes on the SIGINT the terminal sent both",
          arguments: ["once", "twice at once", "through git"])
    func interruptIsPolite(delivery: String) throws {
        let repo = try calculatorRepository()
        let marks = repo.root.path
        let agent = try repo.executor("polite", """
            trap 'echo interrupted > "\(marks)/trap"; exit 1' INT
            setsid sleep 1000 &
            echo $! > '\(marks)/child'
            cut -d' ' -f6 /proc/$$/stat > '\(marks)/session'
            touch '\(marks)/executing'
            while :; do sleep 0.05; done
            """)
        // Through git as a terminal runs it: git and git-aee in a session and process group of their own (whose id
        // the agent, in the same session, notes), which the Ctrl-C reaches.
        let binaries = URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path
        let process = delivery == "through git"
            ? try repo.start(["-c", "PATH='\(binaries)':\"$PATH\" exec setsid -w git aee task Slow --agent \"$0\"", agent], executable: "/bin/sh")
            : try repo.start(["task", "Slow", "--agent", agent])
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/executing") })
        switch delivery {
        case "once": kill(process.processIdentifier, SIGINT)
        case "twice at once":
            kill(process.processIdentifier, SIGINT)
            usleep(20_000)
            kill(process.processIdentifier, SIGINT)
        default: kill(-pid_t(try repo.mark("session"))!, SIGINT)
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "exit \(process.terminationStatus)")
        #expect(try repo.mark("trap") == "interrupted", "SIGKILL came first: the agent's trap never ran")
        #expect(processIsGone(try repo.mark("child")))
        let id = try repo.onlyTaskID()
        #expect(try repo.json(try repo.aee("show", id, "--json").stdout)["state"] as? String == "BLOCKED", "the interruption was not recorded")
    }

    @Test("a second Ctrl-C ends the grace: an agent that ignores the first is killed at once, and the task still records the interruption; through a worker too",
          arguments: ["task", "worker"])
    func secondInterrupt(through: String) throws {
        let repo = try calculatorRepository()
        // A grace no test waits out: only the second Ctrl-C can end the run.
        try repo.git("config", "aee.killGraceSeconds", "3600")
        let marks = repo.root.path
        let agent = try repo.executor("stubborn", """
            trap '' INT TERM
            setsid sleep 1000 &
            echo $! > '\(marks)/child'
            touch '\(marks)/executing'
            while :; do sleep 0.05; done
            """)
        let process = through == "task"
            ? try repo.start(["task", "Slow", "--agent", agent])
            : try repo.start(["worker", "--agent", agent])
        if through == "worker" { _ = try repo.queue(1) }
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/executing") })
        kill(process.processIdentifier, SIGINT)
        // Later than git's passing on of the same Ctrl-C: a second one.
        usleep(800_000)
        kill(process.processIdentifier, SIGINT)
        let ended = waitUntil(seconds: 60) { !process.isRunning }
        if !ended { process.terminate() }
        #expect(ended, "the second Ctrl-C did not end it")
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "exit \(process.terminationStatus)")
        #expect(processIsGone(try repo.mark("child")))
        let record = try repo.artifact(try repo.onlyTaskID(), "task.json")
        #expect(record["state"] as? String == "BLOCKED", "the interruption was not recorded: \(record["state"] ?? "")")
        #expect(record["exit_reason"] as? String == "interrupted")
        #expect(try repo.fsckIsClean())
    }

    /// Starts `git aee gate` on a gate that runs `handler` on SIGINT (`$MARKS` is `marks`) and waits, sends git aee
    /// SIGINT once the gate runs, and returns what it printed and how it ended.
    func interruptGate(handler: String, marks: String) throws -> (repo: Scratch, process: Process, printed: String) {
        let repo = try calculatorRepository(gates: #""tests": {"run": "MARKS=\#(marks); trap '\#(handler)' INT; touch $MARKS/running; while :; do sleep 0.05; done"}"#)
        let output = Pipe()
        let process = try repo.start(["gate", "--trust"], stdout: output, stderr: output)
        #expect(waitUntil { FileManager.default.fileExists(atPath: marks + "/running") })
        kill(process.processIdentifier, SIGINT)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (repo, process, printed)
    }

    @Test("Ctrl-C during git aee gate: the gate gets SIGINT, and git aee dies of it rather than calling the gate failed")
    func interruptedGate() throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("aee-marks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: marks) }
        let (_, process, printed) = try interruptGate(handler: "echo interrupted > $MARKS/trap; exit 1", marks: marks)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT, "exit \(process.terminationStatus): \(printed)")
        #expect(!printed.contains("FAILED") && !printed.contains("did not pass"), "\(printed)")
        #expect(try String(contentsOfFile: marks + "/trap", encoding: .utf8) == "interrupted\n")
    }

    @Test("a gate that exits 0 on the Ctrl-C that stopped it is no pass: nothing is cached for the tree")
    func interruptedGateNotCached() throws {
        let marks = FileManager.default.temporaryDirectory.appendingPathComponent("aee-marks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: marks) }
        let (repo, process, _) = try interruptGate(handler: "exit 0", marks: marks)
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGINT)
        #expect(try repo.git("notes", "--ref", "aee-gates", "list") == "", "an interrupted gate was filed as a pass")
    }
}
