import CSystem
import Dispatch
import Git
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a worker behaves: how many tasks at once, and when it stops.
public struct WorkerOptions: Sendable {
    public var jobs: Int
    /// Run what is queued at the start, then exit.
    public var once: Bool
    /// Exit after this long with nothing running and nothing queued.
    public var idleExitSeconds: Double?
    /// The remote shared with workers on other clones, and how often it is fetched (no event says it changed).
    public var remote: String?
    public var pollSeconds: Double
    /// The agent command the runs get (`--agent`), above the configured ones.
    public var agent: String?

    public init(jobs: Int, once: Bool, idleExitSeconds: Double?, remote: String? = nil, pollSeconds: Double = 2, agent: String? = nil) {
        self.jobs = jobs
        self.once = once
        self.idleExitSeconds = idleExitSeconds
        self.remote = remote
        self.pollSeconds = pollSeconds
        self.agent = agent
    }
}

/// What a worker tells its caller.
public enum WorkerEvent {
    /// A run ended; the record as it is now, and the run's exit status (nil when a signal ended it).
    case finished(TaskID, record: TaskRecord?, exitCode: Int32?)
    /// What `aee.pruneAfter` had the worker prune after a run ended.
    case pruned([PruneEntry])
    case problem(String)
}

/// Runs queued tasks as they appear, oldest first, up to `jobs` at once, each in a process of its own (`launch`
/// makes the command, `git aee run <id>`). The claim is that process's compare-and-swap from QUEUED to RUNNING,
/// so several workers on one repository run each task once: a loser's run finds it taken and ends.
/// It sleeps until a ref changes (inotify), looking again every `rescanSeconds` in case an event was missed; with a
/// remote it also fetches every `pollSeconds`. A RUNNING task whose run died is resumed.
public final class Worker {
    let workspace: Workspace
    let options: WorkerOptions
    /// The command for a task: `git aee run <id> --if-queued`, or `git aee resume <id> --if-abandoned` when `resume`.
    let launch: (TaskID, _ resume: Bool) -> Subprocess
    let events: (WorkerEvent) -> Void
    let rescanSeconds = 30.0
    /// The exit status of a run that wrote nothing (git's fatal).
    static let wroteNothing: Int32 = 128
    /// How long a task whose runs wrote nothing waits before it is tried again: from the first pause, doubled each
    /// time, to the last.
    static let retryPauseSeconds = 30.0...600.0

    static func retryPause(after times: Int) -> Double {
        min(retryPauseSeconds.lowerBound * Double(1 << min(max(times - 1, 0), 10)), retryPauseSeconds.upperBound)
    }

    public init(workspace: Workspace, options: WorkerOptions, launch: @escaping (TaskID, _ resume: Bool) -> Subprocess, events: @escaping (WorkerEvent) -> Void) {
        self.workspace = workspace
        self.options = options
        self.launch = launch
        self.events = events
    }

    /// Runs until `--once` or `--idle-exit` says stop, or a signal does (then the runs are asked to stop first,
    /// each recording how it ended).
    public func run() throws {
        try doing("run the queue") {
            let remote = try options.remote.map { try TaskRemote(name: $0, repository: workspace.repository) }
            let queue = TaskQueue(store: workspace.store, lease: remote.map { remote in { try remote.lease(of: $0) } })
            // A worker runs whatever `git pull` brings: it does not start with commands the user has not approved, and
            // while it runs, a config that changes to such commands holds the queue until 'git aee trust'.
            try workspace.requireTrust(try trustedCommands())
            let pruning = try PruneOptions.afterEachTask(workspace.settings)
            var reported: Set<String> = []
            var fetched = -Double.infinity
            let watcher = try RefWatcher(commonDirectory: workspace.repository.commonDirectory)
            let finished = try FinishedRuns()
            ProcessGroups.shared.wake(finished.wakeDescriptor)
            var running: Set<TaskID> = []
            // Runs that wrote nothing (refused, or the remote out of reach: exit 128), by task: its tip then, how many
            // in a row, and when the last started. Such a task is tried again once it changes, or after a pause that
            // doubles each time (up to `retryPauseSeconds.upperBound`); a run that did write something clears this.
            var tried: [TaskID: (tip: OID, times: Int, at: Double)] = [:]
            // Whether a task is shared through a remote (which one), looked at once per tip: the look reads refs and
            // a reflog, too much to do for every queued task at every wake.
            var sharing: [TaskID: (tip: OID, remote: String?)] = [:]
            var snapshot: Set<TaskID>?
            var idleSince = Subprocess.now()
            // The task branches inotify said moved since the last look; nil: read them all (at the start, and every
            // `rescanSeconds` in case an event was missed).
            var moved: Set<TaskID>?
            var readAll = Subprocess.now()
            while true {
                let ended = finished.take()
                for (id, exitCode) in ended {
                    running.remove(id)
                    if exitCode != Self.wroteNothing { tried[id] = nil }
                    events(.finished(id, record: try? workspace.store.record(of: id), exitCode: exitCode))
                    idleSince = Subprocess.now()
                }
                if let pruning, !ended.isEmpty {
                    do {
                        let removed = try workspace.prune(pruning).filter(\.removed)
                        if !removed.isEmpty { events(.pruned(removed)) }
                    } catch {
                        events(.problem("\(error)"))
                    }
                }
                if ProcessGroups.shared.interruption != nil {
                    if running.isEmpty { return }
                } else {
                    if let remote, Subprocess.now() - fetched >= options.pollSeconds {
                        fetched = Subprocess.now()
                        do {
                            for divergence in try remote.sync() where reported.insert(divergence.description).inserted {
                                events(.problem("\(divergence); left as it is ('git aee sync \(remote.name) --settle' takes the remote's)"))
                            }
                        } catch {
                            // Unreachable for now: the tasks already here go on; the next poll tries again.
                            if reported.insert("\(error)").inserted { events(.problem("\(error)")) }
                        }
                    }
                    if Subprocess.now() - readAll >= rescanSeconds { moved = nil }
                    if moved == nil { readAll = Subprocess.now() }
                    let ready = try queue.ready(moved: moved) { events(.problem($0)) }.filter { entry in
                        let id = entry.record.id
                        guard !running.contains(id) else { return false }
                        // A task shared through a remote is claimed there, by a worker with --remote; run here alone,
                        // it would run there too.
                        guard remote == nil else { return true }
                        if sharing[id]?.tip != entry.tip {
                            sharing[id] = (entry.tip, (try? workspace.sharingRemotes(of: id))?.first)
                            if let shared = sharing[id]?.remote {
                                events(.problem("task \(id) is shared through \(shared): left to a worker with --remote \(shared)"))
                            }
                        }
                        return sharing[id]?.remote == nil
                    }
                    var queued = ready.filter { entry in
                        guard let last = tried[entry.record.id], last.tip == entry.tip else { return true }
                        return Subprocess.now() - last.at >= Self.retryPause(after: last.times)
                    }
                    if options.once {
                        if snapshot == nil { snapshot = Set(queued.map(\.record.id)) }
                        queued = queued.filter { snapshot!.contains($0.record.id) }
                    }
                    if running.isEmpty && queued.isEmpty {
                        if options.once { return }
                        // A task waiting to be tried again counts as nothing to do: one refused for good (a gate
                        // that cannot run) would otherwise keep an --idle-exit worker (a CI job) alive for ever.
                        if let idle = options.idleExitSeconds, Subprocess.now() - idleSince >= idle { return }
                    }
                    var starting = queued.prefix(max(0, options.jobs - running.count))
                    if !starting.isEmpty {
                        do {
                            try workspace.requireTrust(try trustedCommands())
                        } catch {
                            if reported.insert("\(error)").inserted { events(.problem("\(error)")) }
                            starting = []
                        }
                    }
                    for entry in starting {
                        running.insert(entry.record.id)
                        let times = tried[entry.record.id].map { $0.tip == entry.tip ? $0.times + 1 : 1 } ?? 1
                        tried[entry.record.id] = (entry.tip, times, Subprocess.now())
                        finished.start(launch(entry.record.id, entry.abandoned), for: entry.record.id)
                    }
                }
                var timeout = remote == nil ? rescanSeconds : options.pollSeconds
                if running.isEmpty, let idle = options.idleExitSeconds { timeout = min(timeout, max(0, idleSince + idle - Subprocess.now())) }
                var fds = [pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: finished.descriptor, events: Int16(POLLIN), revents: 0)]
                _ = poll(&fds, 2, Int32(min(timeout, 3600) * 1000))
                moved = watcher.drain().map { Set($0.compactMap(TaskID.init)) }
            }
        }
    }
}

extension Worker {
    /// The commands of `.aee/config.json` the runs would start: all of them but an agent that `--agent` or
    /// `git config aee.agent` replaces. Checked before runs start: the config may have changed since the last look.
    func trustedCommands() throws -> [ProjectCommand] {
        try workspace.projectCommands(personalAgent: workspace.personalAgent(options.agent))
    }
}

/// Runs started on other threads, and which of them have ended; the pipe wakes the worker when one does.
/// It lives as long as the process: an interrupt may write to it at any time.
private final class FinishedRuns: Sendable {
    private let ended = Mutex<[(TaskID, Int32?)]>([])
    private let wake: (read: Int32, write: Int32)

    init() throws {
        var fds: [Int32] = [0, 0]
        guard aee_pipe_cloexec(&fds) == 0 else { throw RepositoryError.fileSystem(path: "pipe", reason: String(cString: strerror(errno))) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        wake = (fds[0], fds[1])
    }

    /// Readable when a run ended (or an interrupt came).
    var descriptor: Int32 { wake.read }
    var wakeDescriptor: Int32 { wake.write }

    func start(_ command: Subprocess, for id: TaskID) {
        DispatchQueue.global().async { [self] in
            let exitCode: Int32?
            do {
                exitCode = try command.run().exitCode
            } catch {
                exitCode = 128
            }
            ended.withLock { $0.append((id, exitCode)) }
            var byte: UInt8 = 1
            _ = write(wake.write, &byte, 1)
        }
    }

    /// The runs that ended since the last call.
    func take() -> [(TaskID, Int32?)] {
        var buffer = [UInt8](repeating: 0, count: 256)
        while buffer.withUnsafeMutableBytes({ read(wake.read, $0.baseAddress, $0.count) }) > 0 {}
        return ended.withLock { list in
            defer { list.removeAll() }
            return list
        }
    }
}
