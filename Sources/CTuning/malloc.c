#include "CTuning.h"
#include <limits.h>  // also defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>

// mallopt is declared in <malloc.h>, which Swift's Glibc module does not import.
int coalition_malloc_retain_freed(size_t retained_bytes, size_t mmap_threshold) {
    if (retained_bytes > INT_MAX || mmap_threshold > INT_MAX) return 0;
    int trim = mallopt(M_TRIM_THRESHOLD, (int)retained_bytes);
    int mmap = mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold);
    return trim == 1 && mmap == 1;
}
#else
int coalition_malloc_retain_freed(size_t retained_bytes, size_t mmap_threshold) {
    (void)retained_bytes;
    (void)mmap_threshold;
    return -1;
}
#endif
