import CSystem
import Foundation

/// Headless Chromium, when this machine has it (`make test` installs the Debian package where it can).
let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// A headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: commands go to its
/// fd 3, answers and events come from its fd 4, each message a JSON object ended by a NUL): enough to open a page
/// and read what it shows as it changes, the way a person watching it would.
final class Browser {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private var received: [UInt8] = []
    private var lastID = 0
    private var session: String?

    /// Starts Chromium with a profile in `profile`, in a process group of its own so that closing it stops every
    /// process it started.
    init(profile: String) throws {
        guard let chromium else { throw Failure(description: "chromium is not installed") }
        var toBrowser: [Int32] = [0, 0], fromBrowser: [Int32] = [0, 0]
        // Close-on-exec from the start (tests spawn processes in parallel): only the copies dup2 makes as Chromium's
        // fd 3 and 4 cross into it.
        guard aee_pipe_cloexec(&toBrowser) == 0 else { throw Failure(description: "pipe: \(errno)") }
        guard aee_pipe_cloexec(&fromBrowser) == 0 else {
            toBrowser.forEach { close($0) }
            throw Failure(description: "pipe: \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let words = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, chromium, &actions, &attributes, &argv, environ)
        close(toBrowser[0])
        close(fromBrowser[1])
        guard spawned == 0 else {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw Failure(description: "cannot start \(chromium): \(spawned)")
        }
        self.pid = pid
        commands = toBrowser[1]
        answers = fromBrowser[0]
    }

    deinit {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(commands)
        close(answers)
    }

    /// Opens `url` in a new tab, which later calls read from.
    func open(_ url: String) throws {
        let target = try call("Target.createTarget", ["url": url])
        guard let targetID = target["targetId"] as? String else { throw Failure(description: "no target for \(url): \(target)") }
        let attached = try call("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        session = attached["sessionId"] as? String
    }

    /// What `expression` evaluates to in the open tab, as a string; nil while the page has none to give (it is loading).
    func evaluate(_ expression: String) throws -> String? {
        let answer = try call("Runtime.evaluate", ["expression": expression, "returnByValue": true], inPage: true)
        return (answer["result"] as? [String: Any])?["value"] as? String
    }

    /// Sends one command and waits (up to 10 s) for its answer, passing over the events that come before it.
    private func call(_ method: String, _ parameters: [String: Any], inPage: Bool = false) throws -> [String: Any] {
        lastID += 1
        var message: [String: Any] = ["id": lastID, "method": method, "params": parameters]
        if inPage { message["sessionId"] = session }
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: message)) + [0]
        guard bytes.withUnsafeBytes({ write(commands, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure(description: "chromium stopped reading its commands")
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let end = received.firstIndex(of: 0) {
                let message = received[..<end]
                received.removeFirst(end + 1)
                guard let object = try JSONSerialization.jsonObject(with: Data(message)) as? [String: Any], object["id"] as? Int == lastID else { continue }
                if let error = object["error"] { throw Failure(description: "\(method): \(error)") }
                return object["result"] as? [String: Any] ?? [:]
            }
            var ready = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 1000) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = buffer.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
            if count == 0 { throw Failure(description: "chromium exited") }
            if count > 0 { received += buffer.prefix(count) }
        }
        throw Failure(description: "no answer to \(method) within 10 s")
    }
}
