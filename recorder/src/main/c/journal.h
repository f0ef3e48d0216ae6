/* The inputs journal (runs/rNNNN/inputs.journal): a header, then length-prefixed run-log frames
 * (docs/formats/run-log.md), so that the Java store can append each frame to the run's Chronicle
 * log unchanged. Format: docs/formats/inputs-journal.md. */
#ifndef TRACEDB_JOURNAL_H
#define TRACEDB_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct journal;

/* Starts the journal on the open descriptor fd: writes the header with the run's name. */
struct journal *journal_open(int fd, const char *run_name);

/* Writes what is buffered (whole frames only). Returns 0, or -1 with errno. */
int journal_flush(struct journal *j);
/* Flushes and closes the descriptor. */
int journal_close(struct journal *j);

struct run_started {
    int64_t seconds; int32_t nanos;
    const char *cwd;
    int argc; char *const *argv;
    int envc; char *const *envp;
    const char *hostname, *kernel, *cpu_model;
    int32_t page_size;
};

void journal_run_started(struct journal *j, const struct run_started *e);
void journal_inputs_only(struct journal *j);
void journal_syscall(struct journal *j, int32_t number, const uint64_t args[6], int64_t result);
void journal_signal(struct journal *j, int32_t signo, int32_t code, uint64_t address);
/* ctime_nanos and device: st_ctim and st_dev, so the expansion also tells a file rewritten in place
 * with its size and mtime restored, or another filesystem's file with the same inode number. */
void journal_file_mapped(struct journal *j, const char *path, int64_t size, int64_t mtime_nanos, int64_t inode,
                         int64_t ctime_nanos, int64_t device);
void journal_timestamp(struct journal *j, uint64_t value, uint64_t aux, int with_aux);
void journal_unplaced_stop(struct journal *j);
/* kind 0: exited with value; 1: killed by signal value. */
void journal_run_ended(struct journal *j, int kind, int32_t value, int64_t seconds, int32_t nanos);

/* A MEMORY_WRITTEN frame whose bytes the caller fills in place (no copy): returns where length
 * bytes go; journal_memory_commit then ends the frame with the count actually filled (≤ length),
 * or journal_memory_abandon drops it. */
uint8_t *journal_memory_begin(struct journal *j, uint64_t address, size_t length);
void journal_memory_commit(struct journal *j, size_t filled);
void journal_memory_abandon(struct journal *j);

/* Bytes written to the file so far plus those buffered. */
uint64_t journal_bytes(const struct journal *j);

#endif
