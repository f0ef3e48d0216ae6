/* Signals in an inputs recording: what to do with one about to be delivered (policy), caught
 * signals held for the next system call (deferred), and the handlers the program installed. As
 * the Java engine's SignalPolicy, DeferredSignals and SignalHandlers. */
#ifndef TRACEDB_SIGNALS_H
#define TRACEDB_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

#include "tracee.h"

/* The fields of a siginfo the recording uses. */
struct signal_info {
    int signo, code;
    uint64_t fault_address; /* 0 unless a fault raised by an instruction */
    int sender_pid;         /* for a signal a process sent */
};
struct signal_info signal_info_decode(const uint8_t raw[128]);

enum signal_action { SIGNAL_DELIVER, SIGNAL_DEFER, SIGNAL_END };

/* What to do with the signal described by info, about to be delivered to pid; at_syscall_end:
 * no instruction ran since the last system call ended. For SIGNAL_END, why says why. -1 if
 * /proc/PID/status cannot be read. */
int signal_policy(int pid, const struct signal_info *info, int at_syscall_end, char *why, size_t size,
                  enum signal_action *action);

/* How long a signal may be held before it is sent anyway. */
#define DEFERRED_BOUND_MILLIS 20

void deferred_init(struct tracee *t);
/* Holds the signal of the current signal-delivery-stop (raw: its siginfo); another instance of
 * a signal already held is merged into it, as the kernel merges a pending standard signal. */
void deferred_defer(int signo, const uint8_t raw[128]);
/* Whether a held signal has not been sent again yet. */
int deferred_waiting(void);
/* Sends every held signal not sent yet with kill(2). */
void deferred_send(void);
/* At a delivery-stop of signo (current: its siginfo): whether it stands for the held, sent one;
 * if so its original siginfo is put back into the stop, returned in *held, and it is no longer
 * held (1); else 0. */
int deferred_restore(const struct tracee *t, int signo, const struct signal_info *current, struct signal_info *held);
/* Whether signo is held (waiting, or sent and not back yet). */
int deferred_holds(int signo);
/* The held signals' names, ", "-separated. */
void deferred_names(char *out, size_t size);
/* The tracee is gone: no more sending, no timer. */
void deferred_close(void);

/* After an rt_sigaction(signo, act, …) that succeeded: what act installed. */
void handlers_installed(const struct tracee *t, const uint64_t args[6]);
/* Whether regs stand at the first instruction of signo's handler, its frame just built. */
int handlers_just_entered(const struct tracee *t, int signo, const struct user_regs_struct *regs);

#endif
