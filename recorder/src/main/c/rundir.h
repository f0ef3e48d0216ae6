/* The run's id and directory, allocated as the store allocates them: under an fcntl lock of
 * DIR/catalog.lock (Java's FileChannel.lock is fcntl on Linux, so the two exclude each other),
 * the next id after the largest runs/rNNNN directory; the run's writer.lock held until we exit. */
#ifndef TRACEDB_RUNDIR_H
#define TRACEDB_RUNDIR_H

#include <stddef.h>

struct run {
    long sequence;
    char id[32];     /* "r0007" */
    char path[4096]; /* DIR/runs/r0007 */
    int journal_fd;
    int writer_lock_fd;
};

/* Creates DIR (and DIR/runs) if needed, the run's directory, its writer lock and its empty
 * journal. 0, or -1 with a one-line message in error. */
int run_create(const char *database, struct run *run, char *error, size_t size);

#endif
