import Dispatch
#if canImport(Glibc)
import Glibc
#endif

extension Array {
    /// `map` over all cores in contiguous chunks, keeping the order. Each chunk first makes a `context` of its own
    /// (a libgit2 handle is one thread's at a time) and passes it to `transform` with each of its elements.
    func concurrentMap<Context, T>(context makeContext: () -> Context, _ transform: (Context, Element) -> T) -> [T] {
        // Enough chunks that one slow chunk does not leave a core idle at the end; few enough that contexts stay cheap.
        let chunks = count > 64 ? Swift.min(count / 32, Swift.max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1) * 4) : 1
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = buffer.baseAddress
            withoutActuallyEscaping(makeContext) { makeContext in
                withoutActuallyEscaping(transform) { transform in
                    nonisolated(unsafe) let makeContext = makeContext
                    nonisolated(unsafe) let transform = transform
                    nonisolated(unsafe) let base = base
                    self.withUnsafeBufferPointer { elements in
                        nonisolated(unsafe) let elements = elements
                        // Each index is written by exactly one chunk, so the writes never overlap.
                        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                            let context = makeContext()
                            for index in elements.count * chunk / chunks..<elements.count * (chunk + 1) / chunks {
                                (base! + index).initialize(to: transform(context, elements[index]))
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }
}
