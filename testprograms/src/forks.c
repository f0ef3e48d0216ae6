/*
 * Child processes, the ways glibc makes them: fork (a child that prints and execs /bin/echo),
 * posix_spawn (clone with CLONE_VM|CLONE_VFORK on a stack of its own), system() and vfork. The
 * parent waits for each and prints its status. The recorder follows the parent alone; children
 * run natively.
 *
 * SIGCHLD is blocked: its delivery point depends on when the child ends, which is not the same
 * under two recording engines, and the tests compare their streams event for event. The children
 * print nothing that varies (no pids). "forks fork" runs the fork alone.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shm_mappings.h"

extern char **environ;

static void report(const char *what, int status) {
    if (WIFEXITED(status)) printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    fflush(stdout);
}


static void fork_and_exec(void) {
    pid_t child = fork();
    if (child == 0) {
        printf("child: %d mappings from /dev/shm\n", shm_mappings());
        printf("child: about to exec echo\n");
        fflush(stdout);
        execl("/bin/echo", "echo", "child: echo ran", (char *) NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    report("fork+exec", status);

    child = fork();
    if (child == 0) _exit(3);
    waitpid(child, &status, 0);
    report("fork+_exit(3)", status);
}

static void spawn(void) {
    char *argv[] = {"sh", "-c", "echo spawned; exit 4", NULL};
    pid_t child;
    int rc = posix_spawn(&child, "/bin/sh", NULL, NULL, argv, environ);
    if (rc != 0) {
        printf("posix_spawn failed: %s\n", strerror(rc));
        return;
    }
    int status = 0;
    waitpid(child, &status, 0);
    report("posix_spawn", status);
}

static void shell(void) {
    fflush(stdout);
    report("system", system("echo from system; exit 5"));
}

static void do_vfork(void) {
    pid_t child = vfork();
    if (child == 0) {
        execl("/bin/echo", "echo", "vfork child: echo ran", (char *) NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    report("vfork+exec", status);
}

int main(int argc, char **argv) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    const char *only = argc > 1 ? argv[1] : "all";
    int all = strcmp(only, "all") == 0;
    if (all || strcmp(only, "fork") == 0) fork_and_exec();
    if (all || strcmp(only, "spawn") == 0) spawn();
    if (all || strcmp(only, "system") == 0) shell();
    if (all || strcmp(only, "vfork") == 0) do_vfork();
    printf("parent: done\n");
    return 0;
}
