import Dispatch

extension Array where Element: Sendable {
    /// Maps the elements on all cores, keeping order. For CPU-bound pure work such as signature
    /// verification; `transform` must be thread-safe.
    public func parallelMap<T: Sendable>(chunkSize: Int = 256, _ transform: @Sendable (Element) -> T) -> [T] {
        if count <= chunkSize { return map(transform) }
        let chunks = (count + chunkSize - 1) / chunkSize
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let box = UncheckedBuffer(buffer: results)
        self.withUnsafeBufferPointer { source in
            let input = UncheckedInput(buffer: source)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let start = c * chunkSize
                let end = Swift.min(start + chunkSize, input.buffer.count)
                for i in start..<end { box.buffer[i] = transform(input.buffer[i]) }
            }
        }
        return results.map { $0! }
    }
}

private struct UncheckedBuffer<T>: @unchecked Sendable { let buffer: UnsafeMutableBufferPointer<T?> }
private struct UncheckedInput<T>: @unchecked Sendable { let buffer: UnsafeBufferPointer<T> }
