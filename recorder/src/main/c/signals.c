/* The signal rules of the inputs recording. The question is always whether the expansion can
 * make the signal happen at the same point without a branch counter:
 *  - a synchronous fault (si_code > 0) recurs at the same instruction: deliver;
 *  - a signal ignored or with a default action that does nothing or ends the program: deliver;
 *  - a caught signal right at a system call's end (raise, a blocking call interrupted), or right
 *    after another such signal's handler frame was built: its position is that call; deliver;
 *  - a caught standard signal anywhere else: hold it and send it again at the next system call
 *    entry, so that the kernel delivers it at that call's end (at most 20 ms later);
 *  - a caught real-time signal there (they queue; a held one could not be merged), or a
 *    job-control stop: the recording ends. */
#define _GNU_SOURCE
#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define BIT(n) (1ull << ((n) - 1))
#define DEFAULT_STOPS (BIT(19) | BIT(20) | BIT(21) | BIT(22)) /* STOP TSTP TTIN TTOU */
#define FAULTS (BIT(4) | BIT(5) | BIT(7) | BIT(8) | BIT(11)) /* ILL TRAP BUS FPE SEGV */
#define FIRST_REAL_TIME 32

struct signal_info signal_info_decode(const uint8_t raw[128]) {
    struct signal_info info = {0};
    int32_t signo, code, word;
    memcpy(&signo, raw, 4);
    memcpy(&code, raw + 8, 4);
    info.signo = signo;
    info.code = code;
    int fault = signo == 4 || signo == 5 || signo == 7 || signo == 8 || signo == 11;
    if (fault && code > 0) memcpy(&info.fault_address, raw + 16, 8);
    if (code <= 0) {
        memcpy(&word, raw + 16, 4);
        info.sender_pid = word;
    }
    return info;
}

/* One hex mask line of /proc/PID/status for each prefix (6 characters + colon). */
static int status_masks(int pid, const char *const prefixes[], int n, uint64_t masks[]) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        for (int i = 0; i < n; i++) {
            if (strncmp(line, prefixes[i], 7) == 0) {
                masks[i] |= strtoull(line + 7, NULL, 16);
                found++;
            }
        }
    }
    fclose(f);
    return found;
}

int signal_policy(int pid, const struct signal_info *info, int at_syscall_end, char *why, size_t size,
                  enum signal_action *action) {
    int signo = info->signo;
    if ((FAULTS & BIT(signo)) && info->code > 0) {
        *action = SIGNAL_DELIVER;
        return 0;
    }
    static const char *const prefixes[] = {"SigIgn:", "SigCgt:"};
    uint64_t masks[2] = {0, 0};
    if (status_masks(pid, prefixes, 2, masks) < 2) {
        snprintf(why, size, "cannot read /proc/%d/status", pid);
        return -1;
    }
    uint64_t ignored = masks[0], caught = masks[1];
    if (!(caught & BIT(signo))) {
        if (!(ignored & BIT(signo)) && (DEFAULT_STOPS & BIT(signo))) {
            snprintf(why, size, "job-control stop %s", signal_name(signo));
            *action = SIGNAL_END;
        } else {
            *action = SIGNAL_DELIVER; /* ignored, or the default action: nothing, or the end of the program */
        }
        return 0;
    }
    if (at_syscall_end) {
        *action = SIGNAL_DELIVER;
    } else if (signo < FIRST_REAL_TIME) {
        *action = SIGNAL_DEFER;
    } else {
        snprintf(why, size, "asynchronous %s to a handler, between system calls (its position cannot be replayed"
                 " without a branch counter)", signal_name(signo));
        *action = SIGNAL_END;
    }
    return 0;
}

/* ---------------------------------------------------------------- held signals
 * The 20 ms bound is an interval timer: its SIGALRM handler sends what is still waiting (kill(2)
 * only, async-signal-safe). The main loop blocks SIGALRM while it touches the held set, so the
 * two never interleave. */

struct held {
    int signo;
    uint8_t raw[128];
    struct signal_info info;
    volatile sig_atomic_t sent;
};

static struct held held[64]; /* in arrival order */
static volatile sig_atomic_t held_count;
static volatile sig_atomic_t deadline_armed;
static volatile pid_t target;
static pid_t self;

static void send_unsent(void) {
    if (target <= 0) return; /* reaped: its pid may be another process's by now */
    for (int i = 0; i < held_count; i++) {
        if (!held[i].sent) {
            held[i].sent = 1;
            kill(target, held[i].signo); /* a process already gone is no error */
        }
    }
}

static void on_deadline(int signo) {
    (void) signo;
    deadline_armed = 0;
    send_unsent();
}

static void arm(long millis) {
    struct itimerval timer = {{0, 0}, {millis / 1000, (millis % 1000) * 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    deadline_armed = millis > 0;
}

static sigset_t block_alarm(void) {
    sigset_t alarm, previous;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alarm, &previous);
    return previous;
}

static void unblock(sigset_t previous) {
    sigprocmask(SIG_SETMASK, &previous, NULL);
}

void deferred_init(struct tracee *t) {
    target = t->pid;
    self = getpid();
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_deadline;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, NULL);
}

static int index_of(int signo) {
    for (int i = 0; i < held_count; i++)
        if (held[i].signo == signo) return i;
    return -1;
}

void deferred_defer(int signo, const uint8_t raw[128]) {
    sigset_t previous = block_alarm();
    if (index_of(signo) < 0 && held_count < 64) {
        struct held *h = &held[held_count];
        h->signo = signo;
        memcpy(h->raw, raw, 128);
        h->info = signal_info_decode(raw);
        h->sent = 0;
        held_count++;
        if (!deadline_armed) arm(DEFERRED_BOUND_MILLIS);
    }
    unblock(previous);
}

int deferred_waiting(void) {
    if (held_count == 0) return 0; /* the common case, without a system call */
    sigset_t previous = block_alarm();
    int waiting = 0;
    for (int i = 0; i < held_count; i++)
        if (!held[i].sent) waiting = 1;
    unblock(previous);
    return waiting;
}

void deferred_send(void) {
    if (held_count == 0 && !deadline_armed) return;
    sigset_t previous = block_alarm();
    if (deadline_armed) arm(0);
    send_unsent();
    unblock(previous);
}

/* Whether signo is pending in the kernel for pid (the tracee is stopped). */
static int pending_in_kernel(int pid, int signo) {
    static const char *const prefixes[] = {"SigPnd:", "ShdPnd:"};
    uint64_t masks[2] = {0, 0};
    status_masks(pid, prefixes, 2, masks);
    return ((masks[0] | masks[1]) & BIT(signo)) != 0;
}

int deferred_restore(const struct tracee *t, int signo, const struct signal_info *current, struct signal_info *out) {
    sigset_t previous = block_alarm();
    int restored = 0;
    int i = index_of(signo);
    if (i >= 0 && held[i].sent) {
        /* Ours is the one from this process's kill. An instance the kernel raised may come instead:
         * if it was pending when we sent ours, ours was dropped (a standard signal is pending once)
         * and this one stands for it; if it was taken for delivery just before the timer's kill,
         * ours is still pending and comes next. The pending set tells the two apart. */
        int ours = current->code == SI_USER && current->sender_pid == self;
        if (ours || !pending_in_kernel(t->pid, signo)) {
            tracee_set_siginfo(t, held[i].raw);
            *out = held[i].info;
            for (int k = i + 1; k < held_count; k++) held[k - 1] = held[k];
            held_count--;
            restored = 1;
        }
    }
    unblock(previous);
    return restored;
}

int deferred_holds(int signo) {
    return index_of(signo) >= 0;
}

void deferred_names(char *out, size_t size) {
    size_t at = 0;
    out[0] = 0;
    for (int i = 0; i < held_count && at < size; i++)
        at += (size_t) snprintf(out + at, size - at, "%s%s", i ? ", " : "", signal_name(held[i].signo));
}

void deferred_close(void) {
    sigset_t previous = block_alarm();
    if (deadline_armed) arm(0);
    target = 0;
    unblock(previous);
}

/* ---------------------------------------------------------------- handlers
 * To recognise one moment: a signal-delivery-stop right after the kernel built another signal's
 * handler frame, before any instruction of it ran (two signals pending at once are delivered so,
 * one on top of the other; the second is then at the same point, a system call's end). The stack
 * tells: pc at the first signal's handler and, at the stack pointer, the return address the kernel
 * pushed, the handler's restorer. */

struct handler {
    uint64_t address, restorer; /* address 0: none */
};
static struct handler installed[65];

void handlers_installed(const struct tracee *t, const uint64_t args[6]) {
    int signo = (int) args[0];
    if (args[1] == 0 || signo < 1 || signo > 64) return; /* a query */
    /* struct kernel_sigaction: handler, flags, restorer, mask */
    uint64_t handler = 0, restorer = 0;
    if (tracee_read_u64(t, args[1], &handler) != 0) return;
    if (handler == 0 || handler == 1) { /* SIG_DFL, SIG_IGN */
        installed[signo].address = 0;
        return;
    }
    tracee_read_u64(t, args[1] + 16, &restorer);
    installed[signo] = (struct handler) {handler, restorer};
}

int handlers_just_entered(const struct tracee *t, int signo, const struct user_regs_struct *regs) {
    if (signo < 1 || signo > 64) return 0;
    struct handler h = installed[signo];
    if (h.address == 0 || regs->rip != h.address) return 0;
    uint64_t top;
    if (tracee_read_u64(t, regs->rsp, &top) != 0) return 0;
    return top == h.restorer;
}
