#ifndef COALITION_SQLITE_TUNING_H
#define COALITION_SQLITE_TUNING_H

/// Turns off SQLite's global memory statistics (SQLITE_CONFIG_MEMSTATUS), which otherwise take
/// a process-wide mutex on every allocation. Must run before SQLite initialises (before the
/// first connection opens); later calls are ignored. Returns the sqlite3_config result code.
int coalition_sqlite_disable_memstatus(void);

#endif
