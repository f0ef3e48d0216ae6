/* Which bytes of the program's memory each supported x86-64 system call writes: the table the
 * inputs recording runs on (the Java engine's SyscallEffects, entry for entry). */
#ifndef TRACEDB_EFFECTS_H
#define TRACEDB_EFFECTS_H

#include <stddef.h>
#include <stdint.h>

#include "tracee.h"

struct range {
    uint64_t address;
    uint64_t length;
};

struct ranges {
    struct range *items;
    size_t count, capacity;
};

/* The call's name ("read"), or NULL for a number the kernel's table does not have. */
const char *syscall_name(long number);
/* The name, or "syscall N": for messages. */
const char *syscall_label(long number, char *buf, size_t size);

/* Why the call cannot be recorded (one phrase for the user, into why), or 0 (returns 1 if refused)
 * if the table knows what it writes. Threads and shared file mappings are the session's to refuse. */
int effects_refusal(long number, const uint64_t args[6], char *why, size_t size);

/* Fills out with the ranges the supported call wrote, from its arguments, its result and (for
 * vectors and message headers) the program's memory right after it. Returns 0, or -1 if that
 * memory cannot be read (tracee_error says why). */
int effects_written(const struct tracee *t, long number, const uint64_t args[6], int64_t result, struct ranges *out);

#endif
