/* The one traced process: its stops, registers, siginfo and memory, and system calls run inside
 * it (remote syscalls). Everything here runs on the recorder's only thread. */
#ifndef TRACEDB_TRACEE_H
#define TRACEDB_TRACEE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

enum stop_kind { STOP_EXITED, STOP_KILLED, STOP_SIGNAL, STOP_GROUP, STOP_EVENT, STOP_SYSCALL };

/* What waitpid reported, decoded as machine's StopEvent does. value: the exit code, the signal,
 * or the PTRACE_EVENT_* number. */
struct stop {
    enum stop_kind kind;
    int value;
};

#define EVENT_FORK 1
#define EVENT_VFORK 2
#define EVENT_CLONE 3
#define EVENT_EXEC 4
#define EVENT_EXIT 6

struct tracee {
    pid_t pid;
    struct stop last;
    int alive; /* not yet reaped (nor detached) */
};

static inline int stop_is_terminal(struct stop s) { return s.kind == STOP_EXITED || s.kind == STOP_KILLED; }

/* "SyscallStop[]", "SignalStop[signal=SIGSEGV]", …: as the Java records print, for messages. */
void stop_describe(struct stop s, char *out, size_t size);
/* "SIGSEGV", "SIGRTMIN+3". */
const char *signal_name(int signo);

/* Restarts the stopped tracee (PTRACE_SYSCALL, _CONT, …) delivering signo (0: none) and waits for
 * its next stop; records it as t->last. Returns -1 (with a message printed) if ptrace fails. */
int tracee_resume(struct tracee *t, int request, int signo);
/* Waits for the running tracee's next stop (waitpid __WALL, by pid). */
int tracee_wait(struct tracee *t);

int tracee_regs(const struct tracee *t, struct user_regs_struct *regs);
int tracee_set_regs(const struct tracee *t, const struct user_regs_struct *regs);
/* The 128-byte siginfo of the current signal-delivery-stop. */
int tracee_siginfo(const struct tracee *t, uint8_t info[128]);
int tracee_set_siginfo(const struct tracee *t, const uint8_t info[128]);

/* Reads length bytes at address; returns the count read (short at an unmapped page), or -1. */
ssize_t tracee_read(const struct tracee *t, uint64_t address, void *out, size_t length);
/* Reads exactly 8 bytes; 0 or -1. */
int tracee_read_u64(const struct tracee *t, uint64_t address, uint64_t *value);
/* Writes bytes through ptrace (works on read-only code pages too); 0 or -1. */
int tracee_write(const struct tracee *t, uint64_t address, const void *bytes, size_t length);

/* A NUL-terminated string of at most max bytes; 0, or -1 if unreadable. */
int tracee_read_string(const struct tracee *t, uint64_t address, char *out, size_t max);

/* Runs syscall number with args inside the stopped tracee and puts everything back (as machine's
 * RemoteSyscalls: borrowed syscall instruction, a pending call skipped and re-entered, signals
 * that arrived meanwhile re-sent). Returns 0 and the result in *result, or -1 (message printed). */
int tracee_remote_syscall(struct tracee *t, long number, const uint64_t *args, int nargs, int64_t *result);

/* An unreadable or unwritable piece of the tracee's memory, or a failed ptrace call, for messages. */
extern char tracee_error[256];

#endif
