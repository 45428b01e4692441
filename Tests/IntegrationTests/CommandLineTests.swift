import Foundation
import Testing

@Suite("behaves like a git command")
struct CommandLineTests {
    @Test("-h prints usage on stdout and exits 129; help and --version exit 0")
    func helpAndVersion() throws {
        let repo = try Scratch()
        let short = try repo.aee("task", "-h")
        #expect(short.status == 129)
        #expect(short.stdout.hasPrefix("usage: git aee task <title> [--draft | --queue [--push <remote>]]"))
        let help = try repo.aee("help")
        #expect(help.status == 0)
        for name in ["init", "task", "run", "resume", "worker", "remote", "status", "approve", "cancel", "list", "show", "log"] { #expect(help.stdout.contains("   \(name) ")) }
        #expect(try repo.aee("help", "cancel").stdout.contains("--reason <text>"))
        #expect(try repo.aee("--version").stdout == "git-aee version 0.1.0\n")
        let none = try repo.aee()
        #expect(none.status == 1)
        #expect(none.stdout.hasPrefix("usage: git aee <command>"))
    }

    @Test("git -c aee.maxIterations and aee.runMode reach the tool through GIT_CONFIG_PARAMETERS")
    func commandLineConfig() throws {
        let repo = try Scratch()
        try repo.commitFile()
        let path = URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path + ":" + repo.environment["PATH"]!
        let outcome = try repo.run("/usr/bin/git", ["-c", "aee.maxIterations=7", "-c", "aee.runMode=interactive", "aee", "task", "configured", "--draft", "--json"],
                                   extraEnvironment: ["PATH": path])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let metadata = try #require(try repo.json(outcome.stdout)["metadata"] as? [String: Any])
        #expect(metadata["max_iterations"] as? Int == 7)
        #expect(metadata["run_mode"] as? String == "interactive")
        // The repository's own config is below git -c, and flags beat both.
        try repo.git("config", "aee.maxIterations", "9")
        let flagged = try repo.run("/usr/bin/git", ["-c", "aee.maxIterations=7", "aee", "task", "x", "--draft", "--json", "--max-iterations", "3"], extraEnvironment: ["PATH": path])
        #expect((try repo.json(flagged.stdout)["metadata"] as? [String: Any])?["max_iterations"] as? Int == 3)
        let fromFile = try repo.aee("task", "x", "--draft", "--json")
        #expect((try repo.json(fromFile.stdout)["metadata"] as? [String: Any])?["max_iterations"] as? Int == 9)
        // A personal gate from git config may be named.
        let gate = try repo.run("/usr/bin/git", ["-c", "aee.gate.lint.run=true", "aee", "task", "x", "--draft", "--gate", "lint"], extraEnvironment: ["PATH": path])
        #expect(gate.status == 0, "\(gate.stderr)")
    }

    @Test("colour: never when piped, always with color.ui=always, never with NO_COLOR")
    func colour() throws {
        let repo = try Scratch()
        try repo.commitFile()
        _ = try repo.draft()
        #expect(!(try repo.aee("list").stdout.contains("\u{1B}[")))
        try repo.git("config", "color.ui", "always")
        #expect(try repo.aee("list").stdout.contains("\u{1B}["))
        #expect(!(try repo.aee("list", environment: ["NO_COLOR": "1"]).stdout.contains("\u{1B}[")))
        try repo.git("config", "color.aee", "never")
        let never = try repo.aee("list")
        #expect(never.status == 0, "\(never.stderr)")
        #expect(!never.stdout.contains("\u{1B}[") && never.stdout.contains("DRAFT"))
        // git takes `never` in any case, for color.ui as for color.aee.
        try repo.git("config", "--unset", "color.aee")
        try repo.git("config", "color.ui", "Never")
        let plain = try repo.aee("list")
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!plain.stdout.contains("\u{1B}[") && plain.stdout.contains("DRAFT"))
    }

    @Test("init writes a starter config with guessed commands and never overwrites without --force")
    func initConfig() throws {
        let repo = try Scratch()
        try repo.write("Package.swift", "// swift-tools-version:6.0\n")
        let first = try repo.aee("init")
        #expect(first.status == 0)
        let config = try repo.json(String(decoding: try Data(contentsOf: repo.directory.appendingPathComponent(".aee/config.json")), as: UTF8.self))
        let gates = try #require(config["gates"] as? [String: [String: Any]])
        #expect(Set(gates.keys) == ["doctor", "smoke", "tests"])
        #expect(gates["tests"]?["run"] as? String == "swift test")
        #expect(config["default_gates"] as? [String] == ["doctor", "smoke", "tests"])
        try repo.write(".aee/config.json", "{\"version\": 1}\n")
        let second = try repo.aee("init")
        #expect(second.status == 128)
        #expect(second.stderr.hasPrefix("fatal: .aee/config.json already exists\nhint: use 'git aee init --force'"))
        #expect(try String(contentsOf: repo.directory.appendingPathComponent(".aee/config.json"), encoding: .utf8) == "{\"version\": 1}\n")
        #expect(try repo.aee("init", "--force").status == 0)
        // The starter config is one that task creation accepts, gates and all.
        let id = try repo.draft("uses the config")
        #expect((try repo.json(try repo.aee("show", id, "--json").stdout)["metadata"] as? [String: Any])?["gates"] as? [String] == ["doctor", "smoke", "tests"])
    }

    @Test("without any configured identity a fallback is recorded and a hint says how to set one")
    func fallbackIdentity() throws {
        let repo = try Scratch()
        try repo.commitFile()
        for key in ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"] { repo.environment[key] = nil }
        let outcome = try repo.aee("task", "anonymous", "--draft")
        #expect(outcome.status == 0)
        #expect(outcome.stderr.hasPrefix("hint: no git identity is configured"))
        let id = outcome.stdout.trimmingCharacters(in: .newlines)
        #expect(try repo.git("log", "-1", "--format=%an <%ae>", "aee/\(id)") == "git aee <aee@localhost>\n")
    }
}
