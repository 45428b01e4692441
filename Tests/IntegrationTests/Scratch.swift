import Foundation
import Testing

/// What a finished process said.
struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// A temporary directory with an isolated HOME, removed when the test is done; runs `git` and `git-aee` inside it.
final class Scratch {
    let root: URL
    /// The repository (or working directory) commands run in by default.
    var directory: URL
    var environment: [String: String]
    /// Something that must live as long as the scratch space (a server its commands talk to).
    var companion: AnyObject?

    init(_ name: String = "repo", initialize: Bool = true) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("aee test \(UUID().uuidString)")
        directory = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let home = root.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home.path,
            "XDG_CONFIG_HOME": home.path,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "A U Thor",
            "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "C O Mitter",
            "GIT_COMMITTER_EMAIL": "committer@example.com",
            "LANG": "C",
            // Most tests write their own .aee/config.json; TrustTests removes this to see the approval at work.
            "AEE_TRUST": "1",
        ]
        if initialize {
            try git("init", "-q", "-b", "main")
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The built `git-aee`, beside this test bundle in the build directory.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["GIT_AEE_BINARY"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("git-aee").path
    }()

    @discardableResult
    func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, stdin: String? = nil, extraEnvironment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? self.directory
        process.environment = environment.merging(extraEnvironment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Both pipes are read to the end before waiting, so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let stderrDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            stderrDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        stderrDone.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `git-aee` with the arguments.
    @discardableResult
    func aee(_ arguments: String..., in directory: URL? = nil, environment extra: [String: String] = [:]) throws -> Outcome {
        try run(Self.binary, arguments, in: directory, extraEnvironment: extra)
    }

    /// Runs real git; fails the test when git fails.
    @discardableResult
    func git(_ arguments: String..., in directory: URL? = nil, stdin: String? = nil) throws -> String {
        let outcome = try run("/usr/bin/git", arguments, in: directory, stdin: stdin)
        #expect(outcome.status == 0, "git \(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
        return outcome.stdout
    }

    /// A first commit with a file, so HEAD names a branch with history.
    func commitFile(_ name: String = "README", _ contents: String = "hello\n") throws {
        try write(name, contents)
        try git("add", name)
        try git("commit", "-q", "-m", "add \(name)")
    }

    func write(_ name: String, _ contents: String) throws {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
    }

    /// Creates a DRAFT task and returns its id.
    func draft(_ title: String = "Implement X", _ extra: String..., extraEnvironment: [String: String] = [:]) throws -> String {
        let outcome = try run(Self.binary, ["task", title, "--draft"] + extra, extraEnvironment: extraEnvironment)
        #expect(outcome.status == 0, "task --draft failed: \(outcome.stderr)")
        return outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `git for-each-ref` output: every ref and where it points.
    func refs() throws -> String {
        try git("for-each-ref", "--format=%(refname) %(objectname)")
    }

    func fsckIsClean() throws -> Bool {
        try run("/usr/bin/git", ["fsck", "--strict", "--no-progress"]).status == 0
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}

extension Scratch {
    /// This build's git-aee put on PATH, where the hooks git runs find it.
    func putOnPath() {
        environment["PATH"] = URL(fileURLWithPath: Scratch.binary).deletingLastPathComponent().path + ":" + environment["PATH"]!
    }

    /// A bare repository beside this one made its `origin` (for pushes through the hook), and git-aee on PATH.
    func addOrigin() throws {
        try git("init", "-q", "--bare", root.appendingPathComponent("origin.git").path)
        try git("remote", "add", "origin", root.appendingPathComponent("origin.git").path)
        putOnPath()
    }

    /// Where workspaces go with the scratch HOME and no `aee.workspaceRoot`.
    var workspaceRoot: String { root.appendingPathComponent("home/.cache/git-aee/workspaces").path }

    /// An agent whose execute stage runs `body` (it plans nothing: the task is one work item), quoted for `--agent`.
    func executor(_ name: String, _ body: String) throws -> String {
        "'" + (try agentScript(name, "#!/bin/sh\n[ \"$AEE_STAGE\" = plan ] && exit 0\n" + body + "\n")) + "'"
    }

    /// `git aee task <title> --agent <agent> --json <options>`, expected to succeed: the task's id and its record.
    func succeed(_ title: String = "Fix it", agent: String, _ options: String...) throws -> (id: String, record: [String: Any]) {
        let outcome = try run(Scratch.binary, ["task", title, "--agent", agent, "--json"] + options)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let record = try json(outcome.stdout)
        return (try #require(record["id"] as? String), record)
    }

    /// Commits, with git, a record on `id`'s branch that is JSON but no record (a state no version knows), as a hand
    /// edit would; back on main afterwards.
    func breakRecord(_ id: String) throws {
        try git("checkout", "-q", "aee/\(id)")
        try write(".aee/tasks/\(id)/task.json", #"{"id": "\#(id)", "state": "EXPLODED"}"#)
        try git("commit", "-q", "-am", "break it")
        try git("checkout", "-q", "main")
    }

    /// A file the test's agent wrote outside the workspace, trimmed.
    func mark(_ name: String) throws -> String {
        try String(contentsOfFile: root.appendingPathComponent(name).path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
