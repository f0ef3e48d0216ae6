/* One inputs-only recording: the program runs natively and stops only at system calls
 * (PTRACE_SYSCALL), at rdtsc/rdtscp and at signals; what it receives from outside goes into the
 * journal. The C twin of the Java engine's InputsSession (and Handover): same events, same order. */
#ifndef TRACEDB_SESSION_H
#define TRACEDB_SESSION_H

#include <stdint.h>

#include "journal.h"
#include "tracee.h"

struct outcome {
    int complete;             /* recorded to the program's end */
    int exit_kind, exit_value; /* 0 exited with value, 1 killed by signal value; -1: unknown */
    char stepped_aside[2048]; /* why the recording ended early (the program went on natively) */
    char failure[512];        /* why the recording failed (the program was killed) */
    uint64_t syscalls, stops;
};

/* Called every 1024 stops, for a progress line. */
typedef void progress_fn(const struct outcome *so_far, const struct journal *j);

/* Records the launched tracee to its end, or until it steps aside. Returns 0 (see o->complete),
 * or -1 if recording failed (o->failure; the program is killed). */
int session_record(struct tracee *t, struct journal *j, struct outcome *o, progress_fn *progress);

#endif
