/* Why the child execs itself after stopping: a C recorder can run code between fork and exec
 * (the JVM cannot, hence the Java launcher's stand-in shell), so the child resets what it
 * inherited from the recorder (signal dispositions, mask, descriptors above 2: as the Java
 * Spawner does), turns ASLR off for itself alone with personality(2), stops, and once seized
 * (EXITKILL from then on) calls execve with argv and environment byte for byte. */
#define _GNU_SOURCE
#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "children.h"

#define AT_NULL 0
#define AT_IGNORE 1
#define AT_SYSINFO_EHDR 33
#define SYS_EXECVE 59

/* Path.normalize(): ".", "..", repeated and trailing slashes resolved lexically. */
static void normalize(const char *in, char *out, size_t size) {
    char copy[8192];
    snprintf(copy, sizeof copy, "%s", in);
    const char *parts[1024];
    int n = 0, absolute = in[0] == '/';
    for (char *save = NULL, *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (strcmp(p, ".") == 0) continue;
        if (strcmp(p, "..") == 0) {
            if (n > 0 && strcmp(parts[n - 1], "..") != 0) {
                n--;
                continue;
            }
            if (absolute) continue;
        }
        if (n < 1024) parts[n++] = p;
    }
    size_t at = 0;
    out[0] = 0;
    if (absolute) at += (size_t) snprintf(out, size, "/");
    for (int i = 0; i < n && at < size; i++) at += (size_t) snprintf(out + at, size - at, "%s%s", i ? "/" : "", parts[i]);
}

static void resolve_against(const char *base, const char *path, char *out, size_t size) {
    char joined[8192];
    if (path[0] == '/') snprintf(joined, sizeof joined, "%s", path);
    else snprintf(joined, sizeof joined, "%s/%s", base, path);
    normalize(joined, out, size);
}

static int regular_executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int launch_resolve(const char *program, char *const envp[], char *resolved, size_t size, char *error, size_t esize) {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    if (strchr(program, '/')) {
        resolve_against(cwd, program, resolved, size);
        struct stat st;
        if (stat(resolved, &st) != 0) {
            snprintf(error, esize, "no such program: %s", program);
            return 127;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(error, esize, "not a regular file: %s", program);
            return 126;
        }
        if (access(resolved, X_OK) != 0) {
            snprintf(error, esize, "not executable: %s", program);
            return 126;
        }
        return 0;
    }
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (int i = 0; envp[i]; i++)
        if (strncmp(envp[i], "PATH=", 5) == 0) path = envp[i] + 5; /* the last one, as the Java launcher */
    char dirs[8192];
    snprintf(dirs, sizeof dirs, "%s", path);
    for (char *dir = dirs;;) {
        char *colon = strchr(dir, ':');
        if (colon) *colon = 0;
        char base[8192], candidate[8192];
        resolve_against(cwd, *dir ? dir : ".", base, sizeof base);
        resolve_against(base, program, candidate, sizeof candidate);
        if (regular_executable(candidate)) {
            snprintf(resolved, size, "%s", candidate);
            return 0;
        }
        if (!colon) break;
        dir = colon + 1;
    }
    snprintf(error, esize, "no such program: %s (not found in PATH %s)", program, path);
    return 127;
}

/* In the child, between fork and exec: a clean slate, ASLR off, then wait to be seized. */
static void child(const char *path, char *const argv[], char *const envp[]) {
    struct kernel_sigaction { void *handler; unsigned long flags; void *restorer; uint64_t mask; } dfl = {0};
    for (int signo = 1; signo <= 64; signo++)
        if (signo != SIGKILL && signo != SIGSTOP) syscall(SYS_rt_sigaction, signo, &dfl, NULL, 8);
    uint64_t empty = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, NULL, 8);
    if (syscall(436 /* close_range, Linux 5.9 */, 3, ~0u, 0) != 0)
        for (int fd = 3; fd < 65536; fd++) close(fd);
    int persona = personality(0xffffffff);
    personality((unsigned long) persona | ADDR_NO_RANDOMIZE);
    syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
    execve(path, argv, envp);
    _exit(127);
}

/* Turns AT_SYSINFO_EHDR into AT_IGNORE on the initial stack (argc, argv, NULL, envp, NULL, auxv),
 * so the dynamic loader does not find the vDSO and libc makes real syscalls to read the clock. */
static int hide_vdso(struct tracee *t) {
    struct user_regs_struct regs;
    if (tracee_regs(t, &regs) != 0) return -1;
    uint64_t at = regs.rsp, argc, word;
    if (tracee_read_u64(t, at, &argc) != 0) return -1;
    at += 8 * (argc + 2);
    for (int i = 0; i < (1 << 16); i++, at += 8) {
        if (tracee_read_u64(t, at, &word) != 0) return -1;
        if (word == 0) break;
    }
    at += 8;
    for (int i = 0; i < (1 << 16); i++, at += 16) {
        if (tracee_read_u64(t, at, &word) != 0) return -1;
        if (word == AT_NULL) return 0;
        if (word == AT_SYSINFO_EHDR) {
            uint64_t ignore = AT_IGNORE;
            return tracee_write(t, at, &ignore, 8);
        }
    }
    return -1;
}

int launch(const char *path, char *const argv[], char *const envp[], struct tracee *t, char *error, size_t esize) {
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(error, esize, "cannot fork: %s", strerror(errno));
        return 126;
    }
    if (pid == 0) child(path, argv, envp);
    int status;
    while (waitpid(pid, &status, WUNTRACED) == -1 && errno == EINTR) {}
    if (!WIFSTOPPED(status)) {
        snprintf(error, esize, "the launched process did not stop itself");
        return 126;
    }
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *) (long) TRACE_OPTIONS) == -1) {
        snprintf(error, esize, "ptrace(PTRACE_SEIZE, %d): %s", pid, strerror(errno));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return 126;
    }
    kill(pid, SIGCONT);
    *t = (struct tracee) {.pid = pid, .alive = 1};
    if (tracee_wait(t) != 0) goto failed;
    /* to the execve's exit-stop; SIGCONT and the like are not the program's: suppressed */
    int execed = 0;
    for (;;) {
        if (tracee_resume(t, PTRACE_SYSCALL, 0) != 0 || stop_is_terminal(t->last)) goto failed;
        if (t->last.kind == STOP_EVENT && t->last.value == EVENT_EXEC) {
            execed = 1;
        } else if (t->last.kind == STOP_SYSCALL) {
            struct user_regs_struct regs;
            if (tracee_regs(t, &regs) != 0) goto failed;
            if (regs.orig_rax != SYS_EXECVE) continue;
            if (execed) break;
            long result = (long) regs.rax;
            if (result != -ENOSYS) { /* its exit-stop, without the exec event: it failed */
                snprintf(error, esize, "cannot execute %s: %s (errno %d)", path, strerror((int) -result), (int) -result);
                kill(pid, SIGKILL);
                while (t->alive && tracee_resume(t, PTRACE_CONT, 0) == 0) {}
                return 126;
            }
        }
    }
    if (hide_vdso(t) != 0) goto failed;
    return 0;
failed:
    snprintf(error, esize, "cannot launch %s: %s", path, tracee_error[0] ? tracee_error : "it ended before its exec");
    kill(pid, SIGKILL);
    while (t->alive && tracee_resume(t, PTRACE_CONT, 0) == 0) {}
    return 126;
}
