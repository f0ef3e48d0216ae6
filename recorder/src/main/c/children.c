#define _GNU_SOURCE
#include "children.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>

#include "timestamps.h"

#define SYS_CLONE 56
#define SYS_FORK 57
#define SYS_VFORK 58
#define SYS_EXECVE 59
#define SYS_EXECVEAT 322
#define SYS_CLONE3 435
#define SIGCHLD_NUMBER 17

int creates_child(long number) {
    return number == SYS_CLONE || number == SYS_FORK || number == SYS_VFORK || number == SYS_CLONE3;
}

int is_exec(long number) {
    return number == SYS_EXECVE || number == SYS_EXECVEAT;
}

uint64_t clone_flags(const struct tracee *t, long number, const uint64_t args[6]) {
    if (number == SYS_CLONE3) {
        uint64_t flags;
        return tracee_read_u64(t, args[0], &flags) == 0 ? flags : 0;
    }
    if (number == SYS_CLONE) return args[0];
    return number == SYS_VFORK ? CLONE_VM_FLAG | CLONE_VFORK_FLAG : SIGCHLD_NUMBER;
}

void exec_path(const struct tracee *t, long number, const uint64_t args[6], char *out, size_t size) {
    uint64_t pointer = number == SYS_EXECVEAT ? args[1] : args[0];
    if (tracee_read_string(t, pointer, out, size) != 0) snprintf(out, size, "?");
}

int release_child(struct tracee *parent) {
    unsigned long pid;
    if (ptrace(PTRACE_GETEVENTMSG, parent->pid, 0, &pid) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(PTRACE_GETEVENTMSG, %d): %s", parent->pid, strerror(errno));
        return -1;
    }
    struct tracee child = {.pid = (pid_t) pid, .alive = 1};
    if (tracee_wait(&child) != 0) return -1;
    if (stop_is_terminal(child.last)) {
        snprintf(tracee_error, sizeof tracee_error, "child process %lu ended before its first instruction", pid);
        return -1;
    }
    if (timestamps_trap(&child, 0) != 0) return -1;
    if (ptrace(PTRACE_DETACH, child.pid, 0, 0) == -1) {
        snprintf(tracee_error, sizeof tracee_error, "ptrace(PTRACE_DETACH, %d): %s", child.pid, strerror(errno));
        return -1;
    }
    return 0;
}
