#if canImport(Glibc)
import Glibc
#endif

/// Long output on a terminal goes through a pager as git sends it: `GIT_PAGER`, then `core.pager`, then `PAGER`,
/// else `less` (with `LESS=FRX`, so a short output prints and exits); straight to stdout when stdout is not a
/// terminal or the pager is `cat` or empty.
enum Pager {
    static func show(_ bytes: [UInt8], configured: String?, terminal: Terminal) {
        let environment = terminal.environment
        let command = environment["GIT_PAGER"] ?? configured ?? environment["PAGER"] ?? "less"
        guard isatty(STDOUT_FILENO) == 1, !command.isEmpty, command != "cat", !bytes.isEmpty else {
            terminal.write(bytes)
            return
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            terminal.write(bytes)
            return
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], STDIN_FILENO)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        var variables = environment
        if variables["LESS"] == nil { variables["LESS"] = "FRX" }
        if variables["LV"] == nil { variables["LV"] = "-c" }
        let arguments = ["/bin/sh", "-c", command]
        var argv = arguments.map { strdup($0) } + [nil]
        var envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, &envp)
        close(pipeEnds[0])
        guard spawned == 0 else {
            close(pipeEnds[1])
            terminal.write(bytes)
            return
        }
        // The reader may quit early (q in less): a closed pipe ends the writing, not the program.
        signal(SIGPIPE, SIG_IGN)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(pipeEnds[1], buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue } else { break } }
                offset += written
            }
        }
        close(pipeEnds[1])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}
