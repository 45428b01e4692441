import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process groups of every command running now, so that an interrupt of git aee kills them too.
public final class ProcessGroups: Sendable {
    public static let shared = ProcessGroups()

    private let groups = Mutex<Set<pid_t>>([])
    /// Set once, from the main thread, before any command runs.
    nonisolated(unsafe) private var sources: [DispatchSourceSignal] = []

    func insert(_ pid: pid_t) { groups.withLock { _ = $0.insert(pid) } }
    func remove(_ pid: pid_t) { groups.withLock { _ = $0.remove(pid) } }

    /// On SIGINT, SIGTERM or SIGHUP: kill every running group, then die of the same signal, as a shell expects.
    /// Handled on a dispatch queue rather than in a signal handler, where taking a lock is not allowed.
    public func killOnInterrupt() {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [self] in
                groups.withLock { $0.forEach { killpg($0, SIGKILL) } }
                Glibc.signal(signal, SIG_DFL)
                raise(signal)
            }
            source.resume()
            sources.append(source)
        }
    }
}
