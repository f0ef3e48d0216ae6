/* The counter the program reads is the recorder's monotonic clock in nanoseconds (a 1 GHz
 * time-stamp counter), strictly increasing across reads as a real one is; rdtscp's aux value
 * (normally the CPU number) is 0. As the Java engine's TimestampEmulation. */
#include "timestamps.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PRCTL 157
#define PR_SET_TSC 26
#define PR_TSC_ENABLE 1
#define PR_TSC_SIGSEGV 2
#define SI_KERNEL 0x80

static uint64_t now_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void timestamps_start(struct timestamps *ts) {
    ts->origin = now_nanos();
    ts->last = 0;
}

int timestamps_trap(struct tracee *t, int trap) {
    uint64_t args[2] = {PR_SET_TSC, trap ? PR_TSC_SIGSEGV : PR_TSC_ENABLE};
    int64_t result;
    if (tracee_remote_syscall(t, PRCTL, args, 2, &result) != 0) return -1;
    if (result < 0 && result >= -4095) {
        snprintf(tracee_error, sizeof tracee_error, "remote prctl(PR_SET_TSC) in process %d: error %lld", t->pid,
                 (long long) -result);
        return -1;
    }
    return 0;
}

int timestamps_emulate(struct timestamps *ts, const struct tracee *t, const uint8_t info[128],
                       struct timestamp_read *read) {
    int32_t signo, code;
    memcpy(&signo, info, 4);
    memcpy(&code, info + 8, 4);
    if (signo != 11 || code != SI_KERNEL) return 0;
    struct user_regs_struct regs;
    if (tracee_regs(t, &regs) != 0) return -1;
    uint8_t insn[3];
    if (tracee_read(t, regs.rip, insn, 3) != 3) return 0;
    int rdtsc = insn[0] == 0x0f && insn[1] == 0x31;
    int rdtscp = insn[0] == 0x0f && insn[1] == 0x01 && insn[2] == 0xf9;
    if (!rdtsc && !rdtscp) return 0;
    uint64_t elapsed = now_nanos() - ts->origin;
    ts->last = ts->last + 1 > elapsed ? ts->last + 1 : elapsed;
    uint64_t value = ts->last;
    regs.rax = value & 0xffffffffu;
    regs.rdx = value >> 32;
    regs.rip += rdtsc ? 2 : 3;
    if (rdtscp) regs.rcx = 0;
    if (tracee_set_regs(t, &regs) != 0) return -1;
    read->value = value;
    read->aux = 0;
    read->with_aux = rdtscp;
    return 1;
}
