import CSystem
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The commands running now (each the leader of a process group of its own, its processes tagged), so that an
/// interrupt of git aee reaches everything they started.
public final class ProcessGroups: Sendable {
    public static let shared = ProcessGroups()

    /// Leaders of the running commands, with their tags.
    private let calls = Mutex<[pid_t: String]>([:])
    private let counter = Atomic<Int>(0)
    private let received = Atomic<Int32>(0)
    /// When the first interrupt came (monotonic seconds).
    private let receivedAt = Mutex<Double>(0)
    private let wakers = Mutex<[Int32]>([])
    /// Set once, from the main thread, before any command runs.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    /// Makes git aee the child subreaper of everything it starts: a process whose parent dies (a `setsid` daemon an
    /// agent's tool left) becomes git aee's child instead of init's, so it is still found, signalled and reaped.
    static func becomeSubreaper() {
        _ = subreaper
    }

    private static let subreaper: Void = { _ = aee_become_subreaper() }()

    /// A tag no other command of this process has.
    func nextTag() -> String {
        "\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    func insert(_ pid: pid_t, tag: String) {
        calls.withLock { $0[pid] = tag }
        // An interrupt that landed while the command was being started must still reach it.
        if interruption != nil { killpg(pid, forwardedSignal) }
    }

    func remove(_ pid: pid_t) { calls.withLock { _ = $0.removeValue(forKey: pid) } }

    /// A byte is written to `descriptor` when an interrupt comes, to wake a thread sleeping in poll(2).
    func wake(_ descriptor: Int32) { wakers.withLock { $0.append(descriptor) } }

    /// The signal that interrupted git aee, when `interceptInterrupts` is in force and one came.
    public var interruption: Int32? {
        let signal = received.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// What commands are sent when git aee is interrupted: SIGINT and SIGTERM as they came (a CLI agent stops
    /// cleanly on either), SIGTERM for a hang-up; never SIGKILL first. Each command then has its grace period.
    var forwardedSignal: Int32 {
        let signal = received.load(ordering: .acquiring)
        return signal == SIGINT ? SIGINT : SIGTERM
    }

    /// On SIGINT, SIGTERM or SIGHUP: the running commands are asked to stop and given their grace, then git aee dies
    /// of the same signal, as a shell expects. A second signal kills everything at once.
    public func killOnInterrupt() {
        handleInterrupts { [self] signal in
            while !calls.withLock({ $0.isEmpty }) { usleep(20_000) }
            Self.die(of: signal)
        }
    }

    /// After `killOnInterrupt`, once the commands are done: dies of the signal that stopped them, if one did, before
    /// the caller reports the commands it killed as failures of their own (a gate that "failed" with exit 130).
    public func dieIfInterrupted() {
        guard let signal = interruption else { return }
        Self.die(of: signal)
    }

    /// Ends this process by `signal`, as its default action would, so a shell sees it killed by it; the signal may be
    /// blocked in the calling thread (inherited from whoever started git aee), hence unblocked first.
    private static func die(of signal: Int32) -> Never {
        Glibc.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        _exit(128 + signal)
    }

    /// On SIGINT, SIGTERM or SIGHUP: forward the signal to every running command and remember it, so the caller
    /// can record the interruption and exit itself; each command's own loop kills what is left after its grace.
    /// A second signal kills everything at once, git aee included.
    public func interceptInterrupts() {
        handleInterrupts { _ in }
    }

    /// For a run a worker started: when the worker dies, even by SIGKILL, the run kills everything it started and
    /// exits at once, leaving the task RUNNING with a dead owner, for a worker or `git aee resume` to take over.
    /// Recording an end here would be wrong: nobody asked the task to stop, only its worker went away.
    public func dieWithParent() {
        let parent = getppid()
        Glibc.signal(SIGUSR1, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        source.setEventHandler {
            Self.killEverythingBelow()
            _exit(128 + SIGKILL)
        }
        source.resume()
        sources.append(source)
        _ = aee_signal_on_parent_death(SIGUSR1)
        // The parent may have died before the request took effect.
        if getppid() != parent { kill(getpid(), SIGUSR1) }
    }

    /// Signals closer together than this are one interrupt (a person's second Ctrl-C takes longer).
    static let sameInterruptSeconds = 0.5

    /// SIGKILL to every process below this one.
    private static func killEverythingBelow() {
        for pid in ProcessTable.read().descendants(of: [getpid()]) { kill(pid, SIGKILL) }
    }

    /// Handled on a dispatch queue rather than in a signal handler, where neither a lock nor reading /proc is allowed.
    private func handleInterrupts(then finish: @escaping @Sendable (Int32) -> Void) {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [self] in
                let now = Subprocess.now()
                let first = receivedAt.withLock { at in
                    if at == 0 { at = now }
                    return at
                }
                guard received.compareExchange(expected: 0, desired: signal, ordering: .acquiringAndReleasing).exchanged else {
                    // One Ctrl-C can come twice: git, running git-aee for `git aee`, passes on the SIGINT the terminal
                    // sent to both of them. Only one that comes later is a second Ctrl-C.
                    if now - first < Self.sameInterruptSeconds { return }
                    Self.killEverythingBelow()
                    Self.die(of: signal)
                }
                let forwarded = forwardedSignal
                let running = calls.withLock { $0 }
                let table = ProcessTable.read()
                // Each process of a command's group, and each that left it with the command's tag, gets the signal
                // once; what they started in groups of their own is theirs to pass it on to (a git aee run does),
                // and is asked by the command's own loop when the command ends.
                for (leader, tag) in running {
                    killpg(leader, forwarded)
                    for member in table.members(leader: leader, tag: tag, withDescendants: false) where table.entries[member]?.group != leader {
                        kill(member, forwarded)
                    }
                }
                wakers.withLock { $0.forEach { descriptor in
                    var byte: UInt8 = 1
                    _ = write(descriptor, &byte, 1)
                } }
                finish(signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}
