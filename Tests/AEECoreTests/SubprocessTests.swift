import Foundation
import Testing
@testable import AEECore

@Suite("running commands")
struct SubprocessTests {
    let environment = ["PATH": "/usr/bin:/bin"]

    func shell(_ command: String, timeout: Double = 30, cap: Int = 64 * 1024, in directory: String = "/tmp") throws -> Subprocess.Outcome {
        var process = Subprocess.shell(command, directory: directory, environment: environment, timeoutSeconds: timeout)
        process.outputCap = cap
        return try process.run()
    }

    @Test("exit codes, signals and interleaved output are reported")
    func exitAndOutput() throws {
        let ok = try shell("echo out; echo err >&2")
        #expect(ok.succeeded)
        #expect(String(decoding: ok.output, as: UTF8.self) == "out\nerr\n")
        let failed = try shell("exit 3")
        #expect(failed.exitCode == 3)
        #expect(!failed.succeeded)
        let killed = try shell("kill -9 $$")
        #expect(killed.exitCode == nil)
        #expect(killed.signal == 9)
    }

    @Test("only the tail of a large output is kept, and the cut is counted; the word the cut fell in goes")
    func outputCap() throws {
        let outcome = try shell("head -c 5000000 /dev/zero | tr '\\\\0' a; echo ' END'", cap: 1000)
        #expect(String(decoding: outcome.output, as: UTF8.self) == " END\n")
        #expect(outcome.droppedBytes == 5_000_000)
    }

    @Test("runs in the directory it is given, with only the environment it is given")
    func directoryAndEnvironment() throws {
        let outcome = try shell("pwd; echo ${HOME:-unset}", in: "/usr")
        #expect(String(decoding: outcome.output, as: UTF8.self) == "/usr\nunset\n")
        #expect(throws: RepositoryError.self) { try shell("true", in: "/nonexistent/dir") }
    }

    @Test("a command that only names a program runs without a shell, and fails where the shell would fail as before")
    func programWithoutShell() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("aee-direct-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        func script(_ name: String, _ text: String) {
            _ = FileManager.default.createFile(atPath: "\(root)/\(name)", contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        }
        // Its parent is git aee, not a shell; it sees the directory and environment it is given.
        script("bin/tool", "#!/bin/sh\nread -r line; echo \"$line $(pwd) ${HOME:-unset} $(cat /proc/$PPID/comm)\"\nexit 4\n")
        script("plain", "echo no interpreter line; exit 5\n")
        script("broken", "#!/no/such/interpreter\n")
        _ = FileManager.default.createFile(atPath: root + "/input", contents: Data("prompt\n".utf8))
        let path = ["PATH": "\(root)/bin:/usr/bin:/bin"]
        #expect(ShellCommand.directProgram("tool", directory: root, path: path["PATH"]!) == "\(root)/bin/tool")
        #expect(ShellCommand.directProgram("./plain", directory: root, path: "") == nil)
        #expect(ShellCommand.directProgram("tool --flag", directory: root, path: path["PATH"]!) == nil)
        #expect(ShellCommand.directProgram("true", directory: root, path: "/usr/bin:/bin") == nil)

        var process = Subprocess.shell("tool", directory: "/usr", environment: path, timeoutSeconds: 30)
        process.input = root + "/input"
        let parent = String(decoding: try #require(FileManager.default.contents(atPath: "/proc/self/comm")), as: UTF8.self)
        let direct = try process.run()
        #expect(direct.exitCode == 4)
        #expect(String(decoding: direct.output, as: UTF8.self) == "prompt /usr unset \(parent)")
        // A script without `#!` is the shell's to run; a missing interpreter fails as the shell reports it.
        let plain = try Subprocess.shell("./plain", directory: root, environment: path, timeoutSeconds: 30).run()
        #expect(plain.exitCode == 5)
        #expect(String(decoding: plain.output, as: UTF8.self) == "no interpreter line\n")
        let broken = try Subprocess.shell("./broken", directory: root, environment: path, timeoutSeconds: 30).run()
        #expect(broken.exitCode == 127)
        #expect(String(decoding: broken.output, as: UTF8.self).contains("not found"))
    }

    @Test("on timeout the whole group is killed, the orphaned child included")
    func timeoutKillsGroup() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("aee-orphan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let outcome = try shell("sleep 300 & echo $! > '\(pidFile)'; sleep 300", timeout: 0.5)
        #expect(outcome.timedOut)
        #expect(outcome.seconds < 5)
        #expect(try isGone(pidIn: pidFile))
    }

    @Test("a command that exits leaves nothing running behind it")
    func leftoversKilled() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("aee-left-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let outcome = try shell("sleep 300 & echo $! > '\(pidFile)'; exit 0", timeout: 30)
        #expect(outcome.succeeded)
        #expect(outcome.seconds < 5)
        #expect(try isGone(pidIn: pidFile))
    }

    func shell(_ command: String, timeout: Double, grace: Double) throws -> Subprocess.Outcome {
        var process = Subprocess.shell(command, directory: "/tmp", environment: environment, timeoutSeconds: timeout)
        process.graceSeconds = grace
        return try process.run()
    }

    @Test("what left the group is gone after the call: a setsid child, and a daemon whose parent exited (found by its tag)",
          arguments: ["setsid sleep 1000 & echo $! > '%@'; exit 0", "(setsid sleep 1000 & echo $! > '%@'); sleep 0.2; exit 0"])
    func leftTheGroup(command: String) throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("aee-setsid-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let outcome = try shell(command.replacingOccurrences(of: "%@", with: pidFile), timeout: 30)
        #expect(outcome.succeeded)
        #expect(try isGone(pidIn: pidFile))
    }

    @Test("on timeout SIGTERM comes first and the command may clean up within the grace; SIGKILL only after it")
    func graceBeforeKill() throws {
        let mark = FileManager.default.temporaryDirectory.appendingPathComponent("aee-grace-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: mark) }
        let polite = try shell("trap 'echo cleaned > \(mark); exit 0' TERM; sleep 1000 & wait", timeout: 0.3, grace: 10)
        #expect(polite.timedOut)
        #expect(polite.seconds < 5, "it stopped when asked; the grace was not waited out")
        #expect(try String(contentsOfFile: mark, encoding: .utf8) == "cleaned\n")
        let stubborn = try shell("trap '' TERM; while :; do sleep 0.05; done", timeout: 0.3, grace: 0.5)
        #expect(stubborn.timedOut)
        #expect(stubborn.signal == SIGKILL)
    }

    /// Whether the process whose pid the file holds has died (a zombie awaiting init's reaping counts as dead),
    /// asked a few times over a second, since SIGKILL is delivered asynchronously.
    func isGone(pidIn file: String) throws -> Bool {
        let pid = try #require(Int32(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        for _ in 0..<50 {
            if kill(pid, 0) != 0 || isZombie(pid) { return true }
            usleep(20_000)
        }
        return false
    }

    func isZombie(_ pid: Int32) -> Bool {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first == "Z"
    }
}
