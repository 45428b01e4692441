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
/// The group is killed when the deadline passes and when the command ends, so nothing it started outlives it.
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

    public init(arguments: [String], directory: String, environment: [String: String], timeoutSeconds: Double, outputCap: Int = 64 * 1024) {
        self.arguments = arguments
        self.directory = directory
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.outputCap = outputCap
    }

    /// A shell command line, run as `/bin/sh -c`.
    public static func shell(_ command: String, directory: String, environment: [String: String], timeoutSeconds: Double) -> Subprocess {
        Subprocess(arguments: ["/bin/sh", "-c", command], directory: directory, environment: environment, timeoutSeconds: timeoutSeconds)
    }

    /// How a run ended.
    public struct Outcome: Sendable {
        /// The exit status, or nil when a signal ended the process.
        public let exitCode: Int32?
        public let signal: Int32?
        public let timedOut: Bool
        /// stdout and stderr interleaved as written, last `outputCap` bytes.
        public let output: [UInt8]
        /// Bytes written beyond the cap and dropped from the front.
        public let droppedBytes: Int
        public let seconds: Double

        public var succeeded: Bool { exitCode == 0 && !timedOut }
    }

    /// Grace between SIGTERM and SIGKILL when a command overruns its deadline.
    static let killGraceSeconds = 2.0

    public func run() throws -> Outcome {
        let started = Self.now()
        var fds: [Int32] = [0, 0]
        guard aee_pipe_cloexec(&fds) == 0 else { throw AEEError.fileSystem(path: "pipe", reason: String(cString: strerror(errno))) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }
        let pid: pid_t
        do {
            pid = try spawn(output: writeEnd)
        } catch {
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        ProcessGroups.shared.insert(pid)
        defer { ProcessGroups.shared.remove(pid) }

        var tail = OutputTail(cap: outputCap)
        var status: Int32?
        var timedOut = false
        var deadline = started + timeoutSeconds
        var drainDeadline: Double?
        var open = true
        while open {
            let now = Self.now()
            if status == nil, now >= deadline {
                // Overran: ask the whole group to stop, then insist.
                if !timedOut {
                    timedOut = true
                    killpg(pid, SIGTERM)
                    deadline = now + Self.killGraceSeconds
                } else {
                    killpg(pid, SIGKILL)
                    deadline = now + 3600
                }
            }
            if let drainDeadline, now >= drainDeadline { break }
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let wait = min(deadline, drainDeadline ?? deadline) - now
            let ready = poll(&poller, 1, Int32(max(1, min(wait, 0.1) * 1000)))
            if ready > 0 {
                open = tail.read(from: readEnd)
            }
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    status = raw
                    // The command is done; whatever it left running in its group goes too, so the pipe can close.
                    killpg(pid, SIGKILL)
                    drainDeadline = Self.now() + 0.5
                }
            }
        }
        if status == nil {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status = raw
            killpg(pid, SIGKILL)
        }
        let raw = status!
        let exited = raw & 0x7F == 0
        return Outcome(
            exitCode: exited ? (raw >> 8) & 0xFF : nil,
            signal: exited ? nil : raw & 0x7F,
            timedOut: timedOut,
            output: tail.bytes,
            droppedBytes: tail.dropped,
            seconds: Self.now() - started)
    }

    private func spawn(output: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        if capturesStandardError { posix_spawn_file_actions_adddup2(&actions, output, 2) }
        aee_spawn_file_actions_addchdir(&actions, directory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own: a timeout or an interrupt kills the command and everything it started.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw AEEError.fileSystem(path: arguments[0], reason: "cannot run: \(String(cString: strerror(result)))")
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

    mutating func append(_ chunk: ArraySlice<UInt8>) {
        bytes.append(contentsOf: chunk)
        if bytes.count > cap {
            let excess = bytes.count - cap
            dropped += excess
            bytes.removeFirst(excess)
        }
    }
}
