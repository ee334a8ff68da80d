#if canImport(Glibc)
import Glibc
#endif

/// Large lookup arrays whose memory the kernel is asked to back with transparent huge pages
/// (2 MiB), where the kernel allows it (`madvise` mode). Random reads over hundreds of megabytes
/// (the candidates of a PDQ search) then miss the TLB far less often. Advice is only a hint: on
/// kernels or systems without it the arrays behave as usual.
enum HugePages {
    /// An array of `count` elements from `element(i)`, advised before it is first written, so its
    /// pages fault in as huge pages rather than being collapsed later.
    static func array<T>(count: Int, reserving extra: Int = 0, _ element: (Int) -> T) -> [T] {
        var out = [T](unsafeUninitializedCapacity: count + extra) { buffer, initialized in
            advise(UnsafeMutableRawBufferPointer(buffer))
            for i in 0..<count { (buffer.baseAddress! + i).initialize(to: element(i)) }
            initialized = count
        }
        out.reserveCapacity(count + extra)
        return out
    }

    static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard let base = buffer.baseAddress, buffer.count >= 4 << 20 else { return }
        let huge = 2 << 20
        let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
        let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, MADV_HUGEPAGE)
        #endif
    }
}
