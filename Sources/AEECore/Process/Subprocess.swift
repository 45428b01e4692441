import CSystem
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A command run to completion in a process group of its own, with a deadline and a cap on the output it keeps.
/// When the deadline passes, on an interrupt, and when the command ends, everything it started (its group, and what
/// left the group: see `ProcessTable`) is asked to stop, given a grace period, then killed: nothing outlives it.
public struct Subprocess: Sendable {
    public var arguments: [String]
    public var directory: String
    public var environment: [String: String]
    public var timeoutSeconds: Double
    /// Bytes of output kept: the tail, which is where failures are reported.
    public var outputCap: Int
    /// A file read as standard input; nil for `/dev/null`.
    public var input: String?
    /// Whether standard error is captured with standard output (else it goes where git aee's own goes).
    public var capturesStandardError = true
    /// Called with each line of output as it arrives, without its newline (a line longer than the cap is not seen
    /// whole); true stops the command, as a timeout would, without calling it timed out.
    public var onLine: (@Sendable (Substring) -> Bool)?
    /// Asked as the command runs; true stops it as a timeout would, without calling it timed out.
    public var stopRequested: (@Sendable () -> Bool)?

    public init(arguments: [String], directory: String, environment: [String: String], timeoutSeconds: Double, outputCap: Int = 64 * 1024) {
        self.arguments = arguments
        self.directory = directory
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.outputCap = outputCap
    }

    /// A shell command line, run as `/bin/sh -c`; one that only names a program is run without the shell, as git runs
    /// such a command, which saves a shell's start on every call.
    public static func shell(_ command: String, directory: String, environment: [String: String], timeoutSeconds: Double) -> Subprocess {
        guard let program = ShellCommand.directProgram(command, directory: directory, path: environment["PATH"] ?? "") else {
            return Subprocess(arguments: ["/bin/sh", "-c", command], directory: directory, environment: environment, timeoutSeconds: timeoutSeconds)
        }
        var process = Subprocess(arguments: [program], directory: directory, environment: environment, timeoutSeconds: timeoutSeconds)
        process.shellLine = command
        return process
    }

    /// The command line `arguments` stand for when they run it without the shell: should the program not start
    /// (an interpreter missing), the shell runs the line instead, so it fails as it always did.
    private var shellLine: String?

    /// How a run ended.
    public struct Outcome: Sendable {
        /// The exit status, or nil when a signal ended the process.
        public let exitCode: Int32?
        public let signal: Int32?
        public let timedOut: Bool
        /// Whether git aee asked it to stop before it ended (a timeout, an interrupt, a stop requested): an exit 0
        /// then says it stopped cleanly, not that it did its work.
        public let stopped: Bool
        /// stdout and stderr interleaved as written: the last `outputCap` bytes, from the start of a line when that cut.
        public let output: [UInt8]
        /// Bytes dropped from the front: beyond the cap, and the cut line.
        public let droppedBytes: Int
        public let seconds: Double

        public var succeeded: Bool { exitCode == 0 && !timedOut }
    }

    /// How long what a command started has, once asked to stop (SIGTERM, or the user's SIGINT), before SIGKILL.
    public var graceSeconds = Subprocess.defaultGraceSeconds
    public static let defaultGraceSeconds = 5.0
    /// Whether the command is a git aee run, which is passed a second interrupt and stops what is below it itself,
    /// rather than being killed with all it started.
    public var relaysInterrupts = false
    /// The environment variable that tags every process a command starts, so that one which left its group and its
    /// parent (a `setsid` daemon whose parent died) is still found.
    static let tagVariable = "AEE_CALL"

    /// Where a run is: the command working; what it started asked to stop (by `signal`), until a deadline; or all of
    /// it gone (or killed), its last output read until a deadline.
    private enum Phase {
        case running
        case stopping(until: Double, signal: Int32)
        case draining(until: Double)
    }

    public func run() throws -> Outcome {
        ProcessGroups.becomeSubreaper()
        let started = Self.now()
        var fds: [Int32] = [0, 0]
        guard aee_pipe_cloexec(&fds) == 0 else { throw RepositoryError.fileSystem(path: "pipe", reason: String(cString: strerror(errno))) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let tag = ProcessGroups.shared.nextTag()
        let pid: pid_t
        do {
            pid = try spawn(output: writeEnd, tag: tag)
        } catch {
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        ProcessGroups.shared.insert(pid, tag: tag, relaysInterrupts: relaysInterrupts)
        defer { ProcessGroups.shared.remove(pid) }

        var tail = OutputTail(cap: outputCap)
        var partialLine: [UInt8] = []
        var abandoned = false
        var status: Int32?
        var timedOut = false
        var stopped = false
        var phase = Phase.running
        var open = true
        // Every process found running for the command: those that die as git aee's children (orphans it inherited)
        // are reaped at the end, and only those, never a child some other code of this process waits for.
        var seen: Set<pid_t> = []
        // The last look at /proc; once the command has exited and nothing of it was left running, it still holds
        // every zombie to reap, so a call that ends cleanly reads /proc once.
        var lastTable: (table: ProcessTable, afterExit: Bool)?
        func members() -> [pid_t] {
            // Once the command is reaped, what it left running is below this process (its subreaper): with no child
            // at all, there is nothing, and the whole table need not be read.
            if status != nil, ProcessTable.isChildless() {
                lastTable = (ProcessTable(entries: [:]), true)
                return []
            }
            let table = ProcessTable.read()
            lastTable = (table, status != nil)
            let members = table.members(leader: pid, tag: tag)
            seen.formUnion(members)
            return members
        }
        /// Signals what the command has running, and says whether anything was left to signal.
        func signalMembers(_ signal: Int32) -> Bool {
            let members = members()
            for member in members { kill(member, signal) }
            return !members.isEmpty
        }
        loop: while true {
            let now = Self.now()
            switch phase {
            case .running:
                if status == nil, now >= started + timeoutSeconds || abandoned || stopRequested?() == true {
                    // Overran, or its output said it is no use going on: ask everything it started to stop, then
                    // insist after the grace.
                    timedOut = now >= started + timeoutSeconds && !abandoned
                    stopped = true
                    _ = signalMembers(SIGTERM)
                    phase = .stopping(until: now + graceSeconds, signal: SIGTERM)
                } else if ProcessGroups.shared.interruption != nil {
                    // The interrupt was forwarded to the command (once: a second signal means "kill now" to a
                    // git aee run); it has its grace to stop.
                    stopped = true
                    phase = .stopping(until: now + graceSeconds, signal: ProcessGroups.shared.forwardedSignal)
                } else if status != nil {
                    // The command is done; whatever it left running is asked to stop, so the pipe can close.
                    phase = signalMembers(SIGTERM) ? .stopping(until: now + graceSeconds, signal: SIGTERM) : .draining(until: now + 0.5)
                }
            case .stopping(let until, let signal):
                if status != nil {
                    let left = members()
                    if left.isEmpty {
                        phase = .draining(until: now + 0.5)
                    } else if signal != SIGTERM {
                        // The command stopped on the interrupt; what it leaves behind (background jobs of a
                        // non-interactive shell ignore SIGINT) is asked once more, the way that reaches them.
                        for member in left { kill(member, SIGTERM) }
                        phase = .stopping(until: until, signal: SIGTERM)
                    }
                }
                if case .stopping = phase, now >= until || ProcessGroups.shared.hurriesCommand(relayingInterrupts: relaysInterrupts) {
                    _ = signalMembers(SIGKILL)
                    phase = .draining(until: now + 0.5)
                }
            case .draining(let until):
                if status != nil && (!open || now >= until) { break loop }
                if status == nil && now >= until {
                    // Killed, yet not reaped in time: wait for it.
                    var raw: Int32 = 0
                    while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
                    status = raw
                    break loop
                }
            }
            if open {
                var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 100) > 0 {
                    let before = tail.total
                    open = tail.read(from: readEnd)
                    if let onLine {
                        partialLine += tail.bytes.suffix(tail.total - before)
                        var start = partialLine.startIndex
                        while let end = partialLine[start...].firstIndex(of: UInt8(ascii: "\n")) {
                            if onLine(Substring(decoding: partialLine[start..<end], as: UTF8.self)) { abandoned = true }
                            start = end + 1
                        }
                        // What is left is the start of a line; at the end of the output it is a line of its own.
                        partialLine.removeSubrange(..<start)
                        if !open, !partialLine.isEmpty, onLine(Substring(decoding: partialLine, as: UTF8.self)) { abandoned = true }
                        // A line longer than the cap is not a line anyone reads; its start is let go.
                        if partialLine.count > outputCap { partialLine.removeAll() }
                    }
                }
            } else if case .draining = phase, status != nil {
                // Exited, output read, nothing of it left running: the loop ends at its next turn, without a wait.
            } else if case .stopping = phase, status != nil {
                // What the command left running has its grace to end; each look reads all of /proc, so not every ms.
                usleep(10_000)
            } else {
                // The output is all read; the exit status is what is awaited now, in small steps.
                usleep(1_000)
            }
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            }
        }
        // What it started and left to git aee (as subreaper) has exited: collect it, so no zombie is left behind.
        let table = lastTable.flatMap { $0.afterExit && seen.isEmpty ? $0.table : nil } ?? ProcessTable.read()
        for zombie in table.zombieChildren() where seen.contains(zombie) || table.entries[zombie]?.group == pid {
            var raw: Int32 = 0
            waitpid(zombie, &raw, WNOHANG)
        }
        let raw = status!
        let exited = raw & 0x7F == 0
        let output = tail.dropped > 0 ? Array(OutputTail.fromLineStart(tail.bytes[...], after: tail.lastDropped)) : tail.bytes
        return Outcome(
            exitCode: exited ? (raw >> 8) & 0xFF : nil,
            signal: exited ? nil : raw & 0x7F,
            timedOut: timedOut,
            stopped: stopped,
            output: output,
            droppedBytes: tail.total - output.count,
            seconds: Self.now() - started)
    }

    private func spawn(output: Int32, tag: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        if capturesStandardError { posix_spawn_file_actions_adddup2(&actions, output, 2) }
        // Nothing else of git aee's is the command's: a descriptor some library left without close-on-exec (a file
        // being written, a lock) would stay open as long as anything the command started runs.
        aee_spawn_file_actions_addclosefrom(&actions, 3)
        aee_spawn_file_actions_addchdir(&actions, directory)

        // A group of its own: a timeout or an interrupt reaches the command and everything it started.
        var attributes = posix_spawnattr_t()
        aee_spawnattr_init_for_child(&attributes, 1)
        defer { posix_spawnattr_destroy(&attributes) }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.merging([Self.tagVariable: tag]) { $1 }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        if result != 0, let shellLine {
            var shell = self
            shell.arguments = ["/bin/sh", "-c", shellLine]
            shell.shellLine = nil
            return try shell.spawn(output: output, tag: tag)
        }
        guard result == 0 else {
            throw RepositoryError.fileSystem(path: arguments[0], reason: "cannot run: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Seconds on the monotonic clock, for durations.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// The last `cap` bytes of a stream, and how many came before them.
struct OutputTail {
    let cap: Int
    private(set) var bytes: [UInt8] = []
    private(set) var dropped = 0
    /// The last byte dropped: whether what is kept starts a line.
    private(set) var lastDropped: UInt8?
    /// Bytes read so far.
    var total: Int { bytes.count + dropped }

    init(cap: Int) { self.cap = max(cap, 0) }

    /// Reads what is available; false at end of file.
    mutating func read(from fd: Int32) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 { return errno == EINTR || errno == EAGAIN }
        if count == 0 { return false }
        append(chunk[..<count])
        return true
    }

    /// The last `count` bytes of `bytes`, from the start of a line when that cuts them (`fromLineStart`).
    static func suffix(_ count: Int, of bytes: some Collection<UInt8>) -> ArraySlice<UInt8> {
        let all = Array(bytes)
        guard all.count > count else { return all[...] }
        return fromLineStart(all.suffix(count), after: all[all.count - count - 1])
    }

    /// Output whose front was cut, from its first line break on, unless the cut fell after one (`dropped`, the last
    /// byte cut off): half a line says nothing to a reader, and a secret cut there has lost the start by which
    /// `Redactor` knows it, so what is left of it must not be kept. The break is looked for in the first quarter (at
    /// most 4 KiB), so that a long last line still shows: without one, only the rest of the word the cut fell in goes
    /// (a token, a key, a value has no space in it), up to a space or a sign that ends words in text and JSON, or
    /// through the line break that ends it.
    static func fromLineStart(_ cut: ArraySlice<UInt8>, after dropped: UInt8?) -> ArraySlice<UInt8> {
        guard dropped != UInt8(ascii: "\n") else { return cut }
        let window = cut.prefix(min(4096, cut.count / 4))
        if let lineBreak = window.firstIndex(of: UInt8(ascii: "\n")) { return cut[(lineBreak + 1)...] }
        let rest = cut.drop { !wordEnds.contains($0) }
        return rest.first == UInt8(ascii: "\n") ? rest.dropFirst() : rest
    }

    /// The bytes that end a word in text and in JSON.
    private static let wordEnds = Set(" \t\r\n\"',;()[]{}<>".utf8)

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        bytes.append(contentsOf: chunk)
        if bytes.count > cap {
            let excess = bytes.count - cap
            dropped += excess
            lastDropped = bytes[excess - 1]
            bytes.removeFirst(excess)
        }
    }
}
