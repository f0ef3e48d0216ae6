/* rdtsc and rdtscp, which read the CPU's time-stamp counter without a system call: an input no
 * syscall stop would see. prctl(PR_SET_TSC, PR_TSC_SIGSEGV) makes both fault with SIGSEGV
 * (si_code SI_KERNEL, pc at the instruction); the recorder then plays the instruction itself. */
#ifndef TRACEDB_TIMESTAMPS_H
#define TRACEDB_TIMESTAMPS_H

#include <stdint.h>

#include "tracee.h"

struct timestamps {
    uint64_t origin; /* the recorder's monotonic clock at the start, ns */
    uint64_t last;
};

struct timestamp_read {
    uint64_t value, aux;
    int with_aux;
};

void timestamps_start(struct timestamps *ts);
/* Makes rdtsc/rdtscp fault in the stopped tracee from now on (trap), or run natively again. The
 * setting belongs to the thread, is inherited by children and kept across exec: a program that
 * leaves the recording must have it switched back, or its first rdtsc would kill it. 0 or -1. */
int timestamps_trap(struct tracee *t, int trap);
/* If the signal of the current signal-delivery-stop (info) is an rdtsc/rdtscp fault, plays the
 * instruction (registers set; the signal is then to be suppressed) and returns 1 with what it
 * read; otherwise 0 and nothing changed; -1 if ptrace failed. */
int timestamps_emulate(struct timestamps *ts, const struct tracee *t, const uint8_t info[128],
                       struct timestamp_read *read);

#endif
