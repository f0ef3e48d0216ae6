/* The recording loop. Each syscall stop alternates between a call's entry and its exit:
 *  - entry: number and arguments are kept; a call the recording cannot follow (not in the effects
 *    table, a thread, a writable shared file mapping) ends it here, before it runs; a file mmap's
 *    file is identified now, while its descriptor is surely open;
 *  - exit: SYSCALL_RESULT, then the bytes the call wrote (MEMORY_WRITTEN, ≤ 64 KiB each), then for
 *    a file mmap the file (FILE_MAPPED).
 * exit/exit_group are logged with result 0 at the exit event; an exec with result 0 at its event,
 * where the recording steps aside (the new program runs natively). Ending early ("handover"): the
 * program is brought to a point where a detach loses nothing (the signal being delivered
 * delivered first, rdtsc working again) and then goes on natively; the run stays incomplete. */
#define _GNU_SOURCE
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <unistd.h>

#include "children.h"
#include "effects.h"
#include "signals.h"
#include "timestamps.h"

#define CHUNK (64 * 1024)
#define PUBLISH_EVERY 1024
#define MAP_SHARED_FLAG 0x01
#define MAP_ANONYMOUS_FLAG 0x20
#define PROT_WRITE_FLAG 0x2
#define SYSCALL_LENGTH 2 /* syscall is 0f 05 */
#define AT_RANDOM 25
#define RANDOM_BYTES 16
#define SYS_MMAP 9
#define SYS_RT_SIGACTION 13
#define SYS_EXIT 60
#define SYS_EXIT_GROUP 231

enum { CONTINUE = 0, ASIDE = 1, FAILED = -1, ENDED = 2 };

struct mapped_file {
    char path[4096];
    int64_t size, mtime_nanos, inode, ctime_nanos, device;
};

struct session {
    struct tracee *t;
    struct journal *j;
    struct outcome *o;
    progress_fn *progress;
    struct timestamps timestamps;
    /* the call entered and not yet ended */
    int pending;
    long number;
    uint64_t args[6];
    int has_file;
    struct mapped_file file;
    char exec_path[4096];
    /* the registers at the last syscall-exit-stop, until anything else runs */
    int at_syscall_end;
    struct user_regs_struct end_regs;
    int deliver; /* the signal to deliver when the tracee resumes */
    /* a caught signal just delivered at a system call's end: a signal stop next, with its handler
     * frame just built, is at the same point */
    int entering_handler_of;
    struct ranges ranges;
};

static int fail(struct session *s, const char *what) {
    snprintf(s->o->failure, sizeof s->o->failure, "%s%s%s", what, tracee_error[0] ? ": " : "", tracee_error);
    return FAILED;
}

/* ---------------------------------------------------------------- handover */

/* Brings the stopped tracee to a point where it can be detached; the one-line reason goes into
 * the outcome. pending: the signal of the current signal-delivery-stop, still to deliver, or 0. */
static int handover(struct session *s, uint64_t syscall, int pending, const char *fmt, ...) {
    char reason[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    deferred_send();
    snprintf(s->o->stepped_aside, sizeof s->o->stepped_aside, "inputs recording ends at syscall %llu: %s",
             (unsigned long long) syscall, reason);
    struct tracee *t = s->t;
    int deliver = pending;
    while (deliver) {
        if (tracee_resume(t, PTRACE_SYSCALL, deliver) != 0) return ASIDE;
        deliver = 0;
        /* rdtsc faults on the way are still played (not logged) until the trap is off */
        for (;;) {
            if (t->last.kind != STOP_SIGNAL) break;
            uint8_t raw[128];
            struct timestamp_read read;
            if (tracee_siginfo(t, raw) != 0 || timestamps_emulate(&s->timestamps, t, raw, &read) != 1) break;
            if (tracee_resume(t, PTRACE_SYSCALL, 0) != 0) return ASIDE;
        }
        if (t->last.kind == STOP_SIGNAL) {
            deliver = t->last.value;
            uint8_t raw[128];
            if (tracee_siginfo(t, raw) == 0) {
                struct signal_info current = signal_info_decode(raw), held;
                deferred_restore(t, deliver, &current, &held);
            }
        }
    }
    int exiting = t->last.kind == STOP_EVENT && t->last.value == EVENT_EXIT;
    if (t->alive && !exiting && (t->last.kind == STOP_SYSCALL || t->last.kind == STOP_EVENT))
        timestamps_trap(t, 0);
    return ASIDE;
}

/* Calls after which a held signal could no longer reach the handler it arrived for. */
static int loses_deferred_signals(long number) {
    return is_exec(number) || number == SYS_EXIT || number == SYS_EXIT_GROUP || number == SYS_RT_SIGACTION;
}

/* At the entry of such a call: it is skipped and rewound onto its syscall instruction, the held
 * signals are sent, and the recording ends there: they are delivered (with their own siginfo)
 * before the call, which then runs again natively. The call itself is not logged. */
static int hand_over_before(struct session *s, const struct user_regs_struct *regs, long number) {
    char names[512], label[32];
    deferred_names(names, sizeof names);
    const char *call = syscall_label(number, label, sizeof label);
    struct tracee *t = s->t;
    struct user_regs_struct skip = *regs;
    skip.orig_rax = (uint64_t) -1;
    if (tracee_set_regs(t, &skip) != 0 || tracee_resume(t, PTRACE_SYSCALL, 0) != 0) return fail(s, "skipping a call");
    const char *fmt = "asynchronous %s to a handler, held for the next system call, and that call (%s) would lose it";
    if (t->last.kind != STOP_SYSCALL) return handover(s, s->o->syscalls, 0, fmt, names, call);
    struct user_regs_struct after;
    if (tracee_regs(t, &after) != 0) return fail(s, "reading registers");
    after.rax = (uint64_t) number;
    after.rip -= SYSCALL_LENGTH;
    if (tracee_set_regs(t, &after) != 0) return fail(s, "rewinding a call");
    deferred_send();
    if (tracee_resume(t, PTRACE_SYSCALL, 0) != 0) return fail(s, "resuming");
    int first = t->last.kind == STOP_SIGNAL ? t->last.value : 0;
    if (first) {
        uint8_t raw[128];
        if (tracee_siginfo(t, raw) == 0) {
            struct signal_info current = signal_info_decode(raw), held;
            deferred_restore(t, first, &current, &held);
        }
    }
    return handover(s, s->o->syscalls, first, fmt, names, call);
}

/* ---------------------------------------------------------------- syscalls */

/* The file open as fd in the tracee, identified well enough for the expansion to map the same
 * one: its path, size, modification time, inode, inode change time and device, from one stat of
 * the descriptor itself. The change time moves on every write and utimensat and cannot be set
 * back, so it tells a same-size rewrite with the mtime restored without hashing the contents. */
static int mapped_file(pid_t pid, long fd, struct mapped_file *f) {
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/fd/%ld", pid, fd);
    ssize_t n = readlink(link, f->path, sizeof f->path - 1);
    if (n < 0) return -1;
    f->path[n] = 0;
    struct stat st;
    if (stat(link, &st) != 0) return -1;
    f->size = st.st_size;
    f->mtime_nanos = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    f->inode = (int64_t) st.st_ino;
    f->ctime_nanos = (int64_t) st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
    f->device = (int64_t) st.st_dev;
    return 0;
}

static int enter(struct session *s) {
    struct tracee *t = s->t;
    struct user_regs_struct regs;
    if (tracee_regs(t, &regs) != 0) return fail(s, "reading registers");
    s->at_syscall_end = 0;
    s->entering_handler_of = 0;
    long number = (int) regs.orig_rax;
    if (deferred_waiting()) {
        if (loses_deferred_signals(number)) return hand_over_before(s, &regs, number);
        deferred_send();
    }
    uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
    char refusal[1024], label[32];
    int refused = effects_refusal(number, args, refusal, sizeof refusal);
    uint64_t flags = !refused && creates_child(number) ? clone_flags(t, number, args) : 0;
    if (flags & CLONE_THREAD_FLAG) {
        snprintf(refusal, sizeof refusal, "the program creates a thread (%s with CLONE_THREAD): an inputs-only run"
                 " records one thread", syscall_label(number, label, sizeof label));
        refused = 1;
    } else if (flags & CLONE_UNTRACED_FLAG) {
        snprintf(refusal, sizeof refusal, "the program creates a process with CLONE_UNTRACED (%s): it could not be"
                 " caught at birth to switch off the rdtsc trap it inherits", syscall_label(number, label, sizeof label));
        refused = 1;
    }
    s->has_file = 0;
    if (!refused && number == SYS_MMAP && !(args[3] & MAP_ANONYMOUS_FLAG) && (int) args[4] >= 0) {
        s->has_file = mapped_file(t->pid, (int) args[4], &s->file) == 0;
        if (s->has_file && (args[3] & MAP_SHARED_FLAG) && (args[2] & PROT_WRITE_FLAG)) {
            snprintf(refusal, sizeof refusal, "a writable shared mapping of %s (other processes may change it)",
                     s->file.path);
            refused = 1;
        }
    }
    if (refused) return handover(s, s->o->syscalls, 0, "%s", refusal);
    if (is_exec(number)) {
        exec_path(t, number, args, s->exec_path, sizeof s->exec_path);
        /* the new program would keep the rdtsc trap, and it runs natively (switched now: at the exec
         * event the old address space, through which it would be switched, is gone) */
        if (timestamps_trap(t, 0) != 0) return fail(s, "switching the rdtsc trap off before an exec");
    }
    s->pending = 1;
    s->number = number;
    memcpy(s->args, args, sizeof args);
    return CONTINUE;
}

static int log_memory(struct session *s, const struct range *r) {
    for (uint64_t done = 0; done < r->length; done += CHUNK) {
        size_t length = r->length - done < CHUNK ? (size_t) (r->length - done) : CHUNK;
        uint8_t *into = journal_memory_begin(s->j, r->address + done, length);
        if (tracee_read(s->t, r->address + done, into, length) != (ssize_t) length) {
            journal_memory_abandon(s->j);
            return handover(s, s->o->syscalls - 1, 0, "cannot read what the syscall wrote (%s)", tracee_error);
        }
        journal_memory_commit(s->j, length);
        /* a large read goes out as it is read, not all into memory first */
        if (length == CHUNK && journal_flush(s->j) != 0) return fail(s, "writing the journal");
    }
    return CONTINUE;
}

static int leave(struct session *s) {
    struct tracee *t = s->t;
    s->pending = 0;
    struct user_regs_struct regs;
    if (tracee_regs(t, &regs) != 0) return fail(s, "reading registers");
    int64_t result = (int64_t) regs.rax;
    journal_syscall(s->j, (int32_t) s->number, s->args, result);
    s->o->syscalls++;
    if (effects_written(t, s->number, s->args, result, &s->ranges) != 0) {
        char label[32];
        return handover(s, s->o->syscalls - 1, 0, "cannot find what %s wrote (%s)",
                        syscall_label(s->number, label, sizeof label), tracee_error);
    }
    for (size_t i = 0; i < s->ranges.count; i++) {
        int rc = log_memory(s, &s->ranges.items[i]);
        if (rc != CONTINUE) return rc;
    }
    if (s->has_file && !(result < 0 && result >= -4095))
        journal_file_mapped(s->j, s->file.path, s->file.size, s->file.mtime_nanos, s->file.inode,
                            s->file.ctime_nanos, s->file.device);
    if (is_exec(s->number) && timestamps_trap(t, 1) != 0) /* the exec failed: the program goes on, recorded */
        return fail(s, "switching the rdtsc trap on again");
    if (s->number == SYS_RT_SIGACTION && result == 0) handlers_installed(t, s->args);
    s->at_syscall_end = 1;
    s->end_regs = regs;
    return CONTINUE;
}

/* ---------------------------------------------------------------- signals */

static int on_signal(struct session *s, int signo) {
    struct tracee *t = s->t;
    uint8_t raw[128];
    if (tracee_siginfo(t, raw) != 0) return fail(s, "reading a signal's siginfo");
    struct timestamp_read read;
    int emulated = timestamps_emulate(&s->timestamps, t, raw, &read);
    if (emulated < 0) return fail(s, "playing rdtsc");
    if (emulated) {
        journal_timestamp(s->j, read.value, read.aux, read.with_aux);
        s->at_syscall_end = 0;
        s->entering_handler_of = 0;
        return CONTINUE;
    }
    struct user_regs_struct regs;
    if (tracee_regs(t, &regs) != 0) return fail(s, "reading registers");
    int right_after_syscall = (s->at_syscall_end && memcmp(&s->end_regs, &regs, sizeof regs) == 0)
        || (s->entering_handler_of && handlers_just_entered(t, s->entering_handler_of, &regs));
    struct signal_info info = signal_info_decode(raw), held;
    int restored = deferred_restore(t, signo, &info, &held);
    if (!restored && deferred_holds(signo)) {
        /* another instance while one is held: merged into it, as into a pending standard signal */
        s->at_syscall_end = 0;
        s->entering_handler_of = 0;
        return CONTINUE;
    }
    if (restored) {
        info = held;
        if (!right_after_syscall) {
            /* it landed after the last input: the expansion must stop at that input, not run past it */
            journal_unplaced_stop(s->j);
            return handover(s, s->o->syscalls, signo, "asynchronous %s to a handler, between system calls, and no"
                            " system call within %d ms to deliver it at (its position cannot be replayed without a"
                            " branch counter)", signal_name(signo), DEFERRED_BOUND_MILLIS);
        }
    }
    enum signal_action action;
    char why[512];
    if (signal_policy(t->pid, &info, right_after_syscall, why, sizeof why, &action) != 0) return fail(s, why);
    if (action == SIGNAL_DEFER) {
        deferred_defer(signo, raw);
        s->at_syscall_end = 0;
        s->entering_handler_of = 0;
        return CONTINUE;
    }
    if (action == SIGNAL_END) {
        journal_unplaced_stop(s->j); /* between syscalls, or at a call's end: either way after the last input */
        return handover(s, s->o->syscalls, signo, "%s", why);
    }
    journal_signal(s->j, info.signo, info.code, info.fault_address);
    s->deliver = signo;
    s->at_syscall_end = 0;
    s->entering_handler_of = right_after_syscall ? signo : 0;
    return CONTINUE;
}

/* ---------------------------------------------------------------- the loop */

/* The program is ending (exit event, or gone): logs its exit call, reaps it, says how it ended. */
static int finish(struct session *s) {
    struct tracee *t = s->t;
    if (s->pending && (s->number == SYS_EXIT || s->number == SYS_EXIT_GROUP)) {
        journal_syscall(s->j, (int32_t) s->number, s->args, 0); /* it never returns: result 0 */
        s->o->syscalls++;
    }
    while (!stop_is_terminal(t->last)) {
        if (tracee_resume(t, PTRACE_CONT, 0) != 0) return fail(s, "letting the program end");
    }
    deferred_close();
    s->o->complete = 1;
    s->o->exit_kind = t->last.kind == STOP_EXITED ? 0 : 1;
    s->o->exit_value = t->last.value;
    return ENDED;
}

static int step(struct session *s) {
    struct tracee *t = s->t;
    if (journal_flush(s->j) != 0) return fail(s, "writing the journal");
    int deliver = s->deliver;
    s->deliver = 0;
    if (tracee_resume(t, PTRACE_SYSCALL, deliver) != 0) return fail(s, "resuming the program");
    if (++s->o->stops % PUBLISH_EVERY == 0 && s->progress) s->progress(s->o, s->j);
    struct stop stop = t->last;
    if (stop_is_terminal(stop) || (stop.kind == STOP_EVENT && stop.value == EVENT_EXIT)) return finish(s);
    if (stop.kind == STOP_SYSCALL) return s->pending ? leave(s) : enter(s);
    if (stop.kind == STOP_EVENT && (stop.value == EVENT_FORK || stop.value == EVENT_VFORK || stop.value == EVENT_CLONE)) {
        /* the parent is not touched, so no signal meant for it can arrive during an injected call */
        return release_child(t) == 0 ? CONTINUE : fail(s, "releasing a child process");
    }
    if (stop.kind == STOP_EVENT && stop.value == EVENT_EXEC) {
        journal_syscall(s->j, (int32_t) s->number, s->args, 0);
        snprintf(s->o->stepped_aside, sizeof s->o->stepped_aside,
                 "recording ended at the program's exec of %s (one program per run)", s->exec_path);
        return ASIDE;
    }
    if (stop.kind == STOP_SIGNAL) return on_signal(s, stop.value);
    char described[64];
    stop_describe(stop, described, sizeof described);
    journal_unplaced_stop(s->j);
    return handover(s, s->o->syscalls, 0, "the program stopped in a way the inputs engine does not support: %s",
                    described);
}

int session_record(struct tracee *t, struct journal *j, struct outcome *o, progress_fn *progress) {
    struct session s = {.t = t, .j = j, .o = o, .progress = progress};
    o->exit_kind = -1;
    timestamps_start(&s.timestamps);
    deferred_init(t);
    journal_inputs_only(j);
    /* AT_RANDOM's 16 bytes, on the initial stack after argv, envp and their NULLs */
    struct user_regs_struct regs;
    uint64_t at, argc, word, random_at = 0;
    if (tracee_regs(t, &regs) != 0 || tracee_read_u64(t, at = regs.rsp, &argc) != 0) return fail(&s, "reading the stack");
    at += 8 * (argc + 2);
    while (tracee_read_u64(t, at, &word) == 0 && word != 0) at += 8;
    for (at += 8; tracee_read_u64(t, at, &word) == 0 && word != 0; at += 16) {
        if (word == AT_RANDOM && tracee_read_u64(t, at + 8, &random_at) != 0) return fail(&s, "reading the auxv");
    }
    if (random_at == 0) return fail(&s, "no AT_RANDOM entry");
    uint8_t *random = journal_memory_begin(j, random_at, RANDOM_BYTES);
    if (tracee_read(t, random_at, random, RANDOM_BYTES) != RANDOM_BYTES) {
        journal_memory_abandon(j); /* no half frame in the journal */
        return fail(&s, "reading AT_RANDOM");
    }
    journal_memory_commit(j, RANDOM_BYTES);
    if (timestamps_trap(t, 1) != 0) return fail(&s, "trapping rdtsc");
    if (ptrace(PTRACE_SETOPTIONS, t->pid, 0, (void *) (long) TRACE_OPTIONS_FOLLOWING) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "%s", strerror(errno));
        return fail(&s, "ptrace(PTRACE_SETOPTIONS)");
    }
    int rc;
    while ((rc = step(&s)) == CONTINUE) {}
    free(s.ranges.items);
    if (progress) progress(o, j);
    if (rc == FAILED) {
        deferred_close();
        if (t->alive) {
            kill(t->pid, SIGKILL); /* the program must not go on unrecorded */
            while (t->alive && tracee_resume(t, PTRACE_CONT, 0) == 0) {}
        }
        return -1;
    }
    if (rc == ASIDE) deferred_close();
    return 0;
}
