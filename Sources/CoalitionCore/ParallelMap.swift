import Dispatch

extension Array where Element: Sendable {
    /// Maps the elements on all cores, keeping order. For CPU-bound pure work such as signature
    /// verification; `transform` must be thread-safe. Results are written straight into the
    /// returned array's storage (no second copy of every element).
    public func parallelMap<T: Sendable>(chunkSize: Int = 256, _ transform: @Sendable (Element) -> T) -> [T] {
        if count <= chunkSize { return map(transform) }
        let chunks = (count + chunkSize - 1) / chunkSize
        return self.withUnsafeBufferPointer { source in
            let input = UncheckedInput(buffer: source)
            return [T](unsafeUninitializedCapacity: input.buffer.count) { storage, initialized in
                let output = UncheckedOutput(buffer: storage)
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let start = c * chunkSize
                    let end = Swift.min(start + chunkSize, input.buffer.count)
                    for i in start..<end { (output.buffer.baseAddress! + i).initialize(to: transform(input.buffer[i])) }
                }
                initialized = input.buffer.count
            }
        }
    }
}

private struct UncheckedOutput<T>: @unchecked Sendable { let buffer: UnsafeMutableBufferPointer<T> }
private struct UncheckedInput<T>: @unchecked Sendable { let buffer: UnsafeBufferPointer<T> }
