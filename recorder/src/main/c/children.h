/* Processes the recorded program creates: not recorded, they run natively. The kernel attaches
 * every child to us at birth (TRACEFORK/VFORK/CLONE) only so that the rdtsc trap it inherited can
 * be switched off before its first instruction; then it is detached. As the Java ChildProcesses. */
#ifndef TRACEDB_CHILDREN_H
#define TRACEDB_CHILDREN_H

#include <stdint.h>

#include "tracee.h"

#define CLONE_VM_FLAG 0x100
#define CLONE_VFORK_FLAG 0x4000
#define CLONE_THREAD_FLAG 0x10000
#define CLONE_UNTRACED_FLAG 0x800000

/* PTRACE_SEIZE's options for the launch (EXITKILL, TRACEEXEC, TRACEEXIT, TRACESYSGOOD) … */
#define TRACE_OPTIONS 0x100051
/* … and once recording: every child auto-attached too. */
#define TRACE_OPTIONS_FOLLOWING (TRACE_OPTIONS | 0x2 | 0x4 | 0x8)

int creates_child(long number);
int is_exec(long number);
/* The clone flags of the call about to run: clone's first argument, clone3's struct's first
 * field (0 if unreadable: the call will fail with EFAULT), or what fork and vfork mean. */
uint64_t clone_flags(const struct tracee *t, long number, const uint64_t args[6]);
/* The program an exec about to run names, or "?" if unreadable. */
void exec_path(const struct tracee *t, long number, const uint64_t args[6], char *out, size_t size);
/* At the parent's fork/vfork/clone event stop: waits for the new child's first stop, switches
 * the rdtsc trap off in it and lets it go. 0, or -1 with tracee_error. */
int release_child(struct tracee *parent);

#endif
