import CSystem
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process groups of every command running now, so that an interrupt of git aee kills them too.
public final class ProcessGroups: Sendable {
    public static let shared = ProcessGroups()

    private let groups = Mutex<Set<pid_t>>([])
    private let received = Atomic<Int32>(0)
    private let forwarded = Atomic<Int32>(SIGKILL)
    private let wakers = Mutex<[Int32]>([])
    /// Set once, from the main thread, before any command runs.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    func insert(_ pid: pid_t) {
        groups.withLock { _ = $0.insert(pid) }
        // An interrupt that landed while the command was being started must still reach it.
        if interruption != nil { killpg(pid, forwarded.load(ordering: .relaxed)) }
    }

    func remove(_ pid: pid_t) { groups.withLock { _ = $0.remove(pid) } }

    /// A byte is written to `descriptor` when an interrupt comes, to wake a thread sleeping in poll(2).
    func wake(_ descriptor: Int32) { wakers.withLock { $0.append(descriptor) } }

    /// The signal that interrupted git aee, when `interceptInterrupts` is in force and one came.
    public var interruption: Int32? {
        let signal = received.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// On SIGINT, SIGTERM or SIGHUP: kill every running group, then die of the same signal, as a shell expects.
    /// Handled on a dispatch queue rather than in a signal handler, where taking a lock is not allowed.
    public func killOnInterrupt() {
        handleInterrupts { signal in
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
    }

    /// On SIGINT, SIGTERM or SIGHUP: send `forwarded` to every running group and remember the signal, so the
    /// caller can record the interruption and exit itself. A second signal kills git aee at once.
    /// SIGKILL suits agents and gates; a worker sends its runs SIGTERM, so each records how it stopped.
    public func interceptInterrupts(forwarding signal: Int32 = SIGKILL) {
        forwarded.store(signal, ordering: .relaxed)
        handleInterrupts { signal in
            for other in [SIGINT, SIGTERM, SIGHUP] { Glibc.signal(other, SIG_DFL) }
        }
    }

    /// For a run a worker started: when the worker dies, even by SIGKILL, the run kills its agent and gates and
    /// exits at once, leaving the task RUNNING with a dead owner, for a worker or `git aee resume` to take over.
    /// Recording an end here would be wrong: nobody asked the task to stop, only its worker went away.
    public func dieWithParent() {
        let parent = getppid()
        Glibc.signal(SIGUSR1, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGUSR1, queue: .global())
        source.setEventHandler { [self] in
            groups.withLock { $0.forEach { killpg($0, SIGKILL) } }
            _exit(128 + SIGKILL)
        }
        source.resume()
        sources.append(source)
        _ = aee_signal_on_parent_death(SIGUSR1)
        // The parent may have died before the request took effect.
        if getppid() != parent { kill(getpid(), SIGUSR1) }
    }

    private func handleInterrupts(then finish: @escaping @Sendable (Int32) -> Void) {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [self] in
                received.store(signal, ordering: .releasing)
                let forwarded = forwarded.load(ordering: .relaxed)
                groups.withLock { $0.forEach { killpg($0, forwarded) } }
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
