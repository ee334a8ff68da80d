import CTuning

/// How the process's allocator treats freed memory: a setting for processes that ingest.
///
/// An ingest decodes each batch of entries on every core and frees it after its commit, tens of
/// megabytes per batch. By default glibc returns freed memory at the top of a heap to the kernel
/// once it passes an adaptive threshold, and serves large blocks from fresh mappings, so the
/// next batch faults in and zeroes new pages. On a virtual machine that kernel work cost 3–4% of
/// the cores during a bulk ingest (`coalition-bench ingest` prints the kernel's share); keeping
/// the freed memory for reuse brings it to about 2%. The price is that the process's resident size
/// stays near its peak, up to ``retainedBytes`` above what it uses, after a large ingest.
///
/// `NodeDirectory.open` applies it, so every `coalition` command and the node daemon run with it.
public enum AllocatorTuning {
    /// The most freed memory each allocator arena keeps instead of returning it to the kernel.
    public static let retainedBytes = 256 << 20
    /// Blocks up to this size come from the allocator's heaps, not from a fresh mapping each
    /// (the most glibc's own adaptive threshold reaches on 64-bit systems).
    public static let mmapThreshold = 32 << 20

    /// Applies the settings to this process, once; later calls return the first call's result.
    /// - Returns: whether the C library accepted them (false on a C library other than glibc,
    ///   where nothing changes).
    @discardableResult
    public static func retainFreedMemory() -> Bool { applied }

    private static let applied: Bool = coalition_malloc_retain_freed(retainedBytes, mmapThreshold) == 1
}
