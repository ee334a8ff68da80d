#ifndef COALITION_TUNING_H
#define COALITION_TUNING_H

#include <stddef.h>

/// Turns off SQLite's global memory statistics (SQLITE_CONFIG_MEMSTATUS), which otherwise take
/// a process-wide mutex on every allocation. Must run before SQLite initialises (before the
/// first connection opens); later calls are ignored. Returns the sqlite3_config result code.
int coalition_sqlite_disable_memstatus(void);

/// Tells glibc's allocator to keep up to `retained_bytes` of freed memory per arena instead of
/// handing it back to the kernel, and to serve blocks up to `mmap_threshold` bytes from its
/// heaps rather than from fresh mappings. Returns 1 when both settings were accepted, 0 when
/// one was refused, and -1 on a C library other than glibc (nothing is changed there).
int coalition_malloc_retain_freed(size_t retained_bytes, size_t mmap_threshold);

#endif
