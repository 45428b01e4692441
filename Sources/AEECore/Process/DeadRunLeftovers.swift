#if canImport(Glibc)
import Glibc
#endif

/// What a run killed outright (`kill -9`, a crash) left running. Its agents and gates, and what they started, carry
/// its tag (`AEE_CALL=<pid>-<n>`) and went to init or a subreaper when it died; they may still write into the workspace.
/// A run that takes the task over stops them before it resets the workspace and calls the agent again, so a work item
/// is never done twice at once.
enum DeadRunLeftovers {
    /// Stops the processes of this machine tagged by the run that was `pid`: SIGTERM, up to `grace` seconds to clean
    /// up, then SIGKILL. Returns how many there were. Nothing is done while a process `pid` runs (a zombie is dead): the
    /// number went to another process, whose own calls would carry the same tags.
    static func stop(run pid: pid_t, grace: Double) -> Int {
        guard pid > 0, !ProcessTable.isRunning(pid) else { return 0 }
        let prefix = Array("\(Subprocess.tagVariable)=\(pid)-".utf8)
        let leftovers = ProcessTable.read().running(where: { $0.starts(with: prefix) })
        guard !leftovers.isEmpty else { return 0 }
        for process in leftovers { kill(process, SIGTERM) }
        let deadline = Subprocess.now() + grace
        var remaining = leftovers
        while !remaining.isEmpty, Subprocess.now() < deadline {
            usleep(10_000)
            remaining = remaining.filter(ProcessTable.isRunning)
        }
        for process in remaining { kill(process, SIGKILL) }
        return leftovers.count
    }
}
