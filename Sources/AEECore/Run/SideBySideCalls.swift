import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Calls that run side by side, each on a thread of its own (agent calls block for minutes: dispatch's pool, one
/// thread per core, would run only as many at once as there are cores); their results are handed back one at a
/// time, in the order the calls end. Only the thread that made it starts calls and takes results.
final class SideBySideCalls<Value>: @unchecked Sendable {
    private let lock = DispatchQueue(label: "git-aee.side-by-side")
    private var ended: [(key: Int, result: Result<Value, any Error>)] = []
    private let signal = DispatchSemaphore(value: 0)
    /// Calls started and not yet taken back.
    private(set) var running = 0
    private let stopping = Atomic<Bool>(false)

    /// Asks the calls to stop (each reads `isStopping` as it goes).
    func requestStop() { stopping.store(true, ordering: .relaxed) }
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Starts `body` on a thread of its own; its result comes back from `next()` under `key`.
    func start(_ key: Int, _ body: @escaping () throws -> Value) {
        running += 1
        nonisolated(unsafe) let body = body
        onThreadOfItsOwn { [self] in
            let result = Result { try body() }
            lock.sync { ended.append((key, result)) }
            signal.signal()
        }
    }

    /// Waits for the next call to end and returns its key and result; nil when none is running.
    func next() -> (key: Int, result: Result<Value, any Error>)? {
        guard running > 0 else { return nil }
        signal.wait()
        running -= 1
        return lock.sync { ended.removeFirst() }
    }
}

/// A closure handed to its thread.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a new thread, detached; where no thread can be had, here (which only costs the side by side).
private func onThreadOfItsOwn(_ body: @escaping () -> Void) {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { context in
        Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().run()
        return nil
    }, context)
    if started == 0 {
        pthread_detach(thread)
    } else {
        Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().run()
    }
}
