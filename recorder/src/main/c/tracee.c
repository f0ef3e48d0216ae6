/* ptrace and the tracee's memory. Memory is read with process_vm_readv (one system call, no
 * copy through the page cache of /proc/PID/mem) and written with PTRACE_POKEDATA, which may write
 * into read-only code, as the remote syscall's borrowed instruction needs. */
#define _GNU_SOURCE
#include "tracee.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif
#define PTRACE_SYSCALL_INFO_ENTRY 1
#define PTRACE_EVENT_STOP_CODE 128
#define SYSCALL_TRAP (SIGTRAP | 0x80)

char tracee_error[256];

static const char *const SIGNAL_NAMES[] = {
    NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
    "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
    "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
    "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

const char *signal_name(int signo) {
    static char other[32];
    if (signo > 0 && signo < (int) (sizeof SIGNAL_NAMES / sizeof *SIGNAL_NAMES)) return SIGNAL_NAMES[signo];
    if (signo >= 34) snprintf(other, sizeof other, "SIGRTMIN+%d", signo - 34);
    else snprintf(other, sizeof other, "SIG%d", signo);
    return other;
}

static const char *event_name(int event) {
    switch (event) {
    case 1: return "FORK";
    case 2: return "VFORK";
    case 3: return "CLONE";
    case 4: return "EXEC";
    case 5: return "VFORK_DONE";
    case 6: return "EXIT";
    case 7: return "SECCOMP";
    default: return "UNKNOWN";
    }
}

void stop_describe(struct stop s, char *out, size_t size) {
    switch (s.kind) {
    case STOP_EXITED: snprintf(out, size, "Exited[code=%d]", s.value); break;
    case STOP_KILLED: snprintf(out, size, "Killed[signal=%s]", signal_name(s.value)); break;
    case STOP_SIGNAL: snprintf(out, size, "SignalStop[signal=%s]", signal_name(s.value)); break;
    case STOP_GROUP: snprintf(out, size, "GroupStop[signal=%s]", signal_name(s.value)); break;
    case STOP_EVENT: snprintf(out, size, "EventStop[event=%s]", event_name(s.value)); break;
    case STOP_SYSCALL: snprintf(out, size, "SyscallStop[]"); break;
    }
}

static struct stop decode(int status) {
    struct stop s;
    if (WIFEXITED(status)) {
        s.kind = STOP_EXITED;
        s.value = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        s.kind = STOP_KILLED;
        s.value = WTERMSIG(status);
    } else {
        int signo = (status >> 8) & 0xff, event = (status >> 16) & 0xff;
        if (signo == SYSCALL_TRAP && event == 0) {
            s.kind = STOP_SYSCALL;
            s.value = 0;
        } else if (event == PTRACE_EVENT_STOP_CODE) {
            s.kind = STOP_GROUP;
            s.value = signo;
        } else if (event != 0) {
            s.kind = STOP_EVENT;
            s.value = event;
        } else {
            s.kind = STOP_SIGNAL;
            s.value = signo;
        }
    }
    return s;
}

int tracee_wait(struct tracee *t) {
    int status;
    while (waitpid(t->pid, &status, __WALL) == -1) {
        if (errno != EINTR) {
            snprintf(tracee_error, sizeof tracee_error, "waitpid(%d): %s", t->pid, strerror(errno));
            t->alive = 0;
            return -1;
        }
    }
    t->last = decode(status);
    if (stop_is_terminal(t->last)) t->alive = 0;
    return 0;
}

int tracee_resume(struct tracee *t, int request, int signo) {
    if (ptrace(request, t->pid, 0, (void *) (long) signo) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(%d, %d): %s", request, t->pid, strerror(errno));
        return -1;
    }
    return tracee_wait(t);
}

int tracee_regs(const struct tracee *t, struct user_regs_struct *regs) {
    if (ptrace(PTRACE_GETREGS, t->pid, 0, regs) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(PTRACE_GETREGS, %d): %s", t->pid, strerror(errno));
        return -1;
    }
    return 0;
}

int tracee_set_regs(const struct tracee *t, const struct user_regs_struct *regs) {
    if (ptrace(PTRACE_SETREGS, t->pid, 0, regs) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(PTRACE_SETREGS, %d): %s", t->pid, strerror(errno));
        return -1;
    }
    return 0;
}

int tracee_siginfo(const struct tracee *t, uint8_t info[128]) {
    if (ptrace(PTRACE_GETSIGINFO, t->pid, 0, info) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(PTRACE_GETSIGINFO, %d): %s", t->pid, strerror(errno));
        return -1;
    }
    return 0;
}

int tracee_set_siginfo(const struct tracee *t, const uint8_t info[128]) {
    if (ptrace(PTRACE_SETSIGINFO, t->pid, 0, info) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(PTRACE_SETSIGINFO, %d): %s", t->pid, strerror(errno));
        return -1;
    }
    return 0;
}

ssize_t tracee_read(const struct tracee *t, uint64_t address, void *out, size_t length) {
    size_t done = 0;
    while (done < length) {
        struct iovec local = {(char *) out + done, length - done};
        struct iovec remote = {(void *) (uintptr_t) (address + done), length - done};
        ssize_t n = process_vm_readv(t->pid, &local, 1, &remote, 1, 0);
        if (n <= 0) {
            if (done > 0) break;
            snprintf(tracee_error, sizeof tracee_error, "cannot read %zu bytes at 0x%llx in process %d: %s", length,
                     (unsigned long long) address, t->pid, n == 0 ? "end of memory" : strerror(errno));
            return -1;
        }
        done += (size_t) n;
    }
    if (done < length) {
        snprintf(tracee_error, sizeof tracee_error, "cannot read %zu bytes at 0x%llx in process %d: %zu readable",
                 length, (unsigned long long) address, t->pid, done);
    }
    return (ssize_t) done;
}

int tracee_read_u64(const struct tracee *t, uint64_t address, uint64_t *value) {
    return tracee_read(t, address, value, 8) == 8 ? 0 : -1;
}

int tracee_read_string(const struct tracee *t, uint64_t address, char *out, size_t max) {
    /* page by page: a string near the end of a mapping must not fail for the bytes after it */
    size_t done = 0;
    while (done < max) {
        size_t page_left = 4096 - ((address + done) & 4095);
        size_t want = page_left < max - done ? page_left : max - done;
        ssize_t n = tracee_read(t, address + done, out + done, want);
        if (n <= 0) return -1;
        char *nul = memchr(out + done, 0, (size_t) n);
        if (nul) return 0;
        done += (size_t) n;
        if ((size_t) n < want) return -1;
    }
    out[max - 1] = 0;
    return 0;
}

int tracee_write(const struct tracee *t, uint64_t address, const void *bytes, size_t length) {
    const uint8_t *in = bytes;
    while (length > 0) {
        uint64_t word_at = address & ~7ull, word;
        errno = 0;
        long got = ptrace(PTRACE_PEEKDATA, t->pid, (void *) (uintptr_t) word_at, 0);
        if (got == -1 && errno) goto fail;
        word = (uint64_t) got;
        size_t offset = address - word_at, n = 8 - offset < length ? 8 - offset : length;
        memcpy((uint8_t *) &word + offset, in, n);
        if (ptrace(PTRACE_POKEDATA, t->pid, (void *) (uintptr_t) word_at, (void *) word) == -1) goto fail;
        address += n;
        in += n;
        length -= n;
    }
    return 0;
fail:
    snprintf(tracee_error, sizeof tracee_error, "cannot write at 0x%llx in process %d: %s",
             (unsigned long long) address, t->pid, strerror(errno));
    return -1;
}

/* ---------------------------------------------------------------- remote syscalls */

struct remote {
    struct user_regs_struct saved;
    struct stop saved_stop;
    uint64_t syscall_at;
    uint8_t overwritten[2];
    int borrowed; /* the two bytes at syscall_at were already a syscall instruction */
    int at_entry;
    int execed;
    int held[64];
    int nheld;
};

/* Runs the tracee to its next syscall stop; signals that arrive meanwhile are held, to be re-sent. */
static int run_to_syscall_stop(struct tracee *t, struct remote *r, int inside) {
    for (;;) {
        if (tracee_resume(t, PTRACE_SYSCALL, 0) != 0) return -1;
        struct stop s = t->last;
        if (s.kind == STOP_SYSCALL) return 0;
        if (s.kind == STOP_SIGNAL) {
            if (r->nheld < 64) r->held[r->nheld++] = s.value;
        } else if (s.kind == STOP_EVENT && s.value == EVENT_EXEC && inside) {
            r->execed = 1;
        } else if ((s.kind == STOP_EVENT && s.value == EVENT_EXIT) || stop_is_terminal(s)) {
            snprintf(tracee_error, sizeof tracee_error, "process %d ended during a remote system call", t->pid);
            return -1;
        }
    }
}

static int syscall_entry(const struct tracee *t) {
    if (t->last.kind != STOP_SYSCALL) return 0;
    uint8_t info[88];
    if (ptrace(PTRACE_GET_SYSCALL_INFO, t->pid, (void *) sizeof info, info) == -1) return 0;
    return info[0] == PTRACE_SYSCALL_INFO_ENTRY;
}

static int remote_open(struct tracee *t, struct remote *r) {
    memset(r, 0, sizeof *r);
    if (t->last.kind == STOP_EVENT) {
        /* the event's own call has yet to return: its result would overwrite ours */
        if (t->last.value == EVENT_EXIT) {
            snprintf(tracee_error, sizeof tracee_error, "process %d is exiting: no remote syscalls", t->pid);
            return -1;
        }
        if (run_to_syscall_stop(t, r, 1) != 0) return -1;
    }
    if (tracee_regs(t, &r->saved) != 0) return -1;
    r->at_entry = syscall_entry(t);
    uint8_t before[2];
    if (tracee_read(t, r->saved.rip - 2, before, 2) == 2 && before[0] == 0x0f && before[1] == 0x05) {
        r->syscall_at = r->saved.rip - 2;
        r->borrowed = 1;
    } else {
        if (tracee_read(t, r->saved.rip, r->overwritten, 2) != 2) return -1;
        if (tracee_write(t, r->saved.rip, "\x0f\x05", 2) != 0) return -1;
        r->syscall_at = r->saved.rip;
    }
    r->saved_stop = t->last;
    if (r->at_entry) {
        /* the kernel would run the pending call as soon as the tracee resumes: let it run "-1" */
        struct user_regs_struct skip = r->saved;
        skip.orig_rax = (uint64_t) -1;
        if (tracee_set_regs(t, &skip) != 0 || run_to_syscall_stop(t, r, 1) != 0) return -1;
    }
    return 0;
}

static int remote_run(struct tracee *t, struct remote *r, long number, const uint64_t *args, int nargs,
                      int64_t *result) {
    struct user_regs_struct regs = r->saved;
    __typeof__(regs.rdi) *slots[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
    for (int i = 0; i < nargs; i++) *slots[i] = args[i];
    regs.rax = (uint64_t) number;
    regs.orig_rax = (uint64_t) -1; /* no restart logic may apply to the stop we start from */
    regs.rip = r->syscall_at;
    if (tracee_set_regs(t, &regs) != 0 || run_to_syscall_stop(t, r, 0) != 0) return -1;
    if (tracee_regs(t, &regs) != 0) return -1;
    if ((long) regs.orig_rax != number) {
        snprintf(tracee_error, sizeof tracee_error, "process %d entered syscall %lld instead of %ld", t->pid,
                 (long long) regs.orig_rax, number);
        return -1;
    }
    if (run_to_syscall_stop(t, r, 1) != 0 || tracee_regs(t, &regs) != 0) return -1;
    *result = (int64_t) regs.rax;
    return 0;
}

static int remote_close(struct tracee *t, struct remote *r) {
    if (r->execed || !t->alive) return 0;
    if (!r->borrowed && tracee_write(t, r->syscall_at, r->overwritten, 2) != 0) return -1;
    struct user_regs_struct regs = r->saved;
    if (r->at_entry) {
        /* back to the syscall-enter-stop it was at: rewind onto the instruction and enter again */
        regs.rax = r->saved.orig_rax;
        regs.orig_rax = (uint64_t) -1;
        regs.rip = r->saved.rip - 2;
        if (tracee_set_regs(t, &regs) != 0 || run_to_syscall_stop(t, r, 0) != 0) return -1;
        struct user_regs_struct now;
        if (tracee_regs(t, &now) != 0) return -1;
        if (now.orig_rax != r->saved.orig_rax) {
            snprintf(tracee_error, sizeof tracee_error, "process %d re-entered syscall %lld instead of %lld", t->pid,
                     (long long) now.orig_rax, (long long) r->saved.orig_rax);
            return -1;
        }
        if (tracee_set_regs(t, &r->saved) != 0) return -1;
    } else {
        /* we leave it at a syscall-exit-stop, from which the kernel returns straight to user mode:
         * the restart it would have done at the original stop is done here */
        long rax = (long) regs.rax, nr = (long) regs.orig_rax;
        if (nr >= 0 && r->saved_stop.kind != STOP_SIGNAL) {
            if (rax == -512 || rax == -513 || rax == -514) {
                regs.rip -= 2;
                regs.rax = (uint64_t) nr;
            } else if (rax == -516) {
                regs.rip -= 2;
                regs.rax = 219; /* restart_syscall */
            }
        }
        if (tracee_set_regs(t, &regs) != 0) return -1;
    }
    for (int i = 0; i < r->nheld; i++) kill(t->pid, r->held[i]);
    return 0;
}

int tracee_remote_syscall(struct tracee *t, long number, const uint64_t *args, int nargs, int64_t *result) {
    struct remote r;
    if (remote_open(t, &r) != 0) return -1;
    int rc = remote_run(t, &r, number, args, nargs, result);
    if (remote_close(t, &r) != 0) rc = -1;
    return rc;
}
