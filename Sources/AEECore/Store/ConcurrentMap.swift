import Dispatch

extension Array {
    /// `map` over all cores, keeping the order; for pure, CPU-bound transforms only.
    func concurrentMap<T>(_ transform: (Element) -> T) -> [T] {
        guard count > 64 else { return map(transform) }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = buffer.baseAddress!
            withoutActuallyEscaping(transform) { transform in
                nonisolated(unsafe) let transform = transform
                nonisolated(unsafe) let base = base
                self.withUnsafeBufferPointer { elements in
                    nonisolated(unsafe) let elements = elements
                    // Each index is written by exactly one iteration, so the writes never overlap.
                    DispatchQueue.concurrentPerform(iterations: count) { index in
                        (base + index).initialize(to: transform(elements[index]))
                    }
                }
            }
            initialized = count
        }
    }
}
