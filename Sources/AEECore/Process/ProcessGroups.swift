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

    /// A running command: its tag, and whether it is a git aee run, which passes a second interrupt on itself.
    private struct Call {
        let tag: String
        let relaysInterrupts: Bool
    }

    /// Leaders of the running commands.
    private let calls = Mutex<[pid_t: Call]>([:])
    private let counter = Atomic<Int>(0)
    private let received = Atomic<Int32>(0)
    /// When the last interrupt that counted came (monotonic seconds), and how many have.
    private let interrupts = Mutex<(at: Double, count: Int)>((0, 0))
    private let hurried = Atomic<Bool>(false)
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

    func insert(_ pid: pid_t, tag: String, relaysInterrupts: Bool) {
        calls.withLock { $0[pid] = Call(tag: tag, relaysInterrupts: relaysInterrupts) }
        // An interrupt that landed while the command was being started must still reach it.
        if interruption != nil { killpg(pid, hurriesCommand(relayingInterrupts: relaysInterrupts) ? SIGKILL : forwardedSignal) }
    }

    func remove(_ pid: pid_t) { calls.withLock { _ = $0.removeValue(forKey: pid) } }

    /// A byte is written to `descriptor` when an interrupt comes, to wake a thread sleeping in poll(2).
    func wake(_ descriptor: Int32) { wakers.withLock { $0.append(descriptor) } }

    /// The signal that interrupted git aee, when `interceptInterrupts` is in force and one came.
    public var interruption: Int32? {
        let signal = received.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// Whether a command is to be killed at once rather than given its grace: after a second interrupt, unless it is
    /// a git aee run, which was passed the second interrupt and does the same below itself.
    func hurriesCommand(relayingInterrupts: Bool) -> Bool {
        !relayingInterrupts && hurried.load(ordering: .acquiring)
    }

    /// What commands are sent when git aee is interrupted: SIGINT and SIGTERM as they came (a CLI agent stops
    /// cleanly on either), SIGTERM for a hang-up; never SIGKILL first. Each command then has its grace period.
    var forwardedSignal: Int32 {
        let signal = received.load(ordering: .acquiring)
        return signal == SIGINT ? SIGINT : SIGTERM
    }

    /// On SIGINT, SIGTERM or SIGHUP: the running commands are asked to stop and given their grace, then git aee dies
    /// of the same signal, as a shell expects. A second signal kills them at once, a third git aee too.
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
    /// A second signal ends the grace: what the commands started is killed at once (a git aee run is passed the
    /// signal again and does the same), and the caller still records how it stopped, which takes milliseconds. A
    /// third kills everything at once, git aee included.
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

    /// A second interrupt: every git aee run below is passed it, everything else below is killed.
    private func hurry(_ signal: Int32) {
        hurried.store(true, ordering: .releasing)
        let relaying = calls.withLock { $0.filter(\.value.relaysInterrupts) }
        let table = ProcessTable.read()
        var spared = Set(relaying.keys)
        for (leader, call) in relaying { spared.formUnion(table.members(leader: leader, tag: call.tag)) }
        for (leader, _) in relaying { kill(leader, signal) }
        for pid in table.descendants(of: [getpid()]) where !spared.contains(pid) { kill(pid, SIGKILL) }
        wakeSleepers()
    }

    private func wakeSleepers() {
        wakers.withLock { $0.forEach { descriptor in
            var byte: UInt8 = 1
            _ = write(descriptor, &byte, 1)
        } }
    }

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
                // One Ctrl-C can come twice: git, running git-aee for `git aee`, passes on the SIGINT the terminal
                // sent to both of them. Only one that comes later is another Ctrl-C.
                let count = interrupts.withLock { last -> Int in
                    if last.count > 0 && now - last.at < Self.sameInterruptSeconds { return 0 }
                    last = (now, last.count + 1)
                    return last.count
                }
                switch count {
                case 0:
                    return
                case 1:
                    received.store(signal, ordering: .releasing)
                case 2:
                    hurry(signal)
                    return
                default:
                    Self.killEverythingBelow()
                    Self.die(of: signal)
                }
                let forwarded = forwardedSignal
                let running = calls.withLock { $0 }
                let table = ProcessTable.read()
                // Each process of a command's group, and each that left it with the command's tag, gets the signal
                // once; what they started in groups of their own is theirs to pass it on to (a git aee run does),
                // and is asked by the command's own loop when the command ends.
                for (leader, call) in running {
                    killpg(leader, forwarded)
                    for member in table.members(leader: leader, tag: call.tag, withDescendants: false) where table.entries[member]?.group != leader {
                        kill(member, forwarded)
                    }
                }
                wakeSleepers()
                finish(signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}
