import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// A filter driver's program, started as git starts it: `/bin/sh -c <command>` in the working tree's root, with the
/// process's own environment.
struct FilterCommand {
    let command: String
    let directory: String

    /// Runs the command once with `input` on its standard input; its standard output and exit status (nil: killed).
    /// Input is written, without blocking, while output is read, so a filter that streams (writes before it has read
    /// everything) cannot stall with git aee.
    func run(input: [UInt8]) throws -> (output: [UInt8], status: Int32?) {
        let child = try FilterChild(command: command, directory: directory)
        defer { child.close() }
        _ = fcntl(child.input, F_SETFL, fcntl(child.input, F_GETFL) | O_NONBLOCK)
        var output: [UInt8] = []
        var written = 0
        var writing = true
        if input.isEmpty { child.closeInput(); writing = false }
        var reading = true
        while reading {
            var fds = [pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)]
            if writing { fds.append(pollfd(fd: child.input, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { throw GitError(systemCall: "poll", path: command) }
            if writing, fds[1].revents != 0 {
                let count = input.withUnsafeBytes { write(child.input, $0.baseAddress! + written, min($0.count - written, 65_536)) }
                if count > 0 { written += count }
                if count < 0 && errno != EINTR && errno != EAGAIN { written = input.count }
                if written == input.count { child.closeInput(); writing = false }
            }
            if fds[0].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = chunk.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
                if count > 0 { output += chunk[..<count] } else if count == 0 || (errno != EINTR && errno != EAGAIN) { reading = false }
            }
        }
        if writing { child.closeInput() }
        return (output, child.wait())
    }
}

/// A filter program started with pipes on its standard input and output; standard error goes where git aee's goes.
final class FilterChild {
    let pid: pid_t
    private(set) var input: Int32
    let output: Int32

    init(command: String, directory: String) throws {
        var stdin: [Int32] = [0, 0]
        var stdout: [Int32] = [0, 0]
        guard aee_pipe_cloexec(&stdin) == 0 else { throw GitError(systemCall: "pipe", path: command) }
        guard aee_pipe_cloexec(&stdout) == 0 else {
            Glibc.close(stdin[0]); Glibc.close(stdin[1])
            throw GitError(systemCall: "pipe", path: command)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdout[1], 1)
        // A long-running filter (git-lfs's filter-process) must not hold anything else of git aee's open.
        aee_spawn_file_actions_addclosefrom(&actions, 3)
        aee_spawn_file_actions_addchdir(&actions, directory)
        // In git aee's own process group, so an interrupt from the terminal reaches the filter too.
        var attributes = posix_spawnattr_t()
        aee_spawnattr_init_for_child(&attributes, 0)
        defer { posix_spawnattr_destroy(&attributes) }
        let words: [String] = ["/bin/sh", "-c", command]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        Glibc.close(stdin[0])
        Glibc.close(stdout[1])
        guard result == 0 else {
            Glibc.close(stdin[1]); Glibc.close(stdout[0])
            errno = result
            throw GitError(systemCall: "posix_spawn", path: command)
        }
        self.pid = pid
        input = stdin[1]
        output = stdout[0]
        // A filter that exits early must not kill git aee with SIGPIPE on the next write.
        signal(SIGPIPE, SIG_IGN)
    }

    func closeInput() {
        if input >= 0 { Glibc.close(input); input = -1 }
    }

    /// Waits for the program; its exit status, or nil when a signal ended it.
    func wait() -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : nil
    }

    func close() {
        closeInput()
        Glibc.close(output)
    }
}
