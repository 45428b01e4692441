import Dispatch
import Synchronization

/// Calls that run side by side, each on a thread of its own (agent calls block for minutes, which dispatch meets with
/// more threads); their results are handed back one at a time, in the order the calls end. Only the thread that made
/// it starts calls and takes results.
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
        DispatchQueue.global().async { [self] in
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
