import CTuning
import CoalitionStore
import Testing

@Suite("Allocator tuning")
struct AllocatorTuningTests {
    #if canImport(Glibc)
    @Test("glibc accepts the settings, and applying them again returns the first result")
    func appliesOnGlibc() {
        #expect(AllocatorTuning.retainFreedMemory())
        #expect(AllocatorTuning.retainFreedMemory())
    }

    @Test("values glibc cannot hold are refused, not truncated")
    func refusesOutOfRange() {
        #expect(coalition_malloc_retain_freed(Int(Int32.max) + 1, AllocatorTuning.mmapThreshold) == 0)
        #expect(coalition_malloc_retain_freed(AllocatorTuning.retainedBytes, Int(Int32.max) + 1) == 0)
        // Leave the process as the node runs.
        #expect(coalition_malloc_retain_freed(AllocatorTuning.retainedBytes, AllocatorTuning.mmapThreshold) == 1)
    }
    #endif
}
