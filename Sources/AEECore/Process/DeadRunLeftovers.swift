#if canImport(Glibc)
import Glibc
#endif

/// What a run killed outright (`kill -9`, a crash) left running. Its agents and gates, and what they started, carry
/// its tag (`AEE_CALL=<pid>-<n>`) and went to init or a subreaper when it died; they may still write into the workspace.
/// A run that takes the task over stops them before it resets the workspace and calls the agent again, so a work item
/// is never done twice at once.
enum DeadRunLeftovers {
    /// Stops the processes of this machine tagged by the runs that were `pids`: SIGTERM, up to `grace` seconds to
    /// clean up, then SIGKILL. Returns how many each run left. Nothing is done for a pid a process runs under (a
    /// zombie is dead): the number went to another process, whose own calls would carry the same tags.
    static func stop(runs pids: [pid_t], grace: Double) -> [pid_t: Int] {
        let dead = Set(pids.filter { $0 > 0 && !ProcessTable.isRunning($0) })
        guard !dead.isEmpty else { return [:] }
        let prefixes = dead.map { (pid: $0, tag: Array("\(Subprocess.tagVariable)=\($0)-".utf8)) }
        var found: [pid_t: Int] = [:]
        let leftovers = ProcessTable.read().running { variable in
            guard let run = prefixes.first(where: { variable.starts(with: $0.tag) }) else { return false }
            found[run.pid, default: 0] += 1
            return true
        }
        guard !leftovers.isEmpty else { return [:] }
        for process in leftovers { kill(process, SIGTERM) }
        let deadline = Subprocess.now() + grace
        var remaining = leftovers
        while !remaining.isEmpty, Subprocess.now() < deadline {
            usleep(10_000)
            remaining = remaining.filter(ProcessTable.isRunning)
        }
        for process in remaining { kill(process, SIGKILL) }
        return found
    }
}
