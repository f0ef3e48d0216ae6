/* Reads the time-stamp counter with rdtsc and rdtscp, which no system call reports: the values
 * must increase (as a real counter's do) and the program must run on after each. Prints how many
 * reads were made and whether they increased, never the values, so its output is the same in every
 * run. "rdtsc READS thread" then starts a thread, which ends an inputs recording, and reads the
 * counter as many times again: the program must go on with a working rdtsc; "rdtsc READS fork" has
 * a child process (which a recorder does not follow) read it as many times, and waits for it.
 * "rdtsc trap-check" says whether this machine honours prctl(PR_SET_TSC, PR_TSC_SIGSEGV): a child
 * sets it and reads the counter, which must kill it with SIGSEGV; some hypervisors accept the
 * setting and let rdtsc run. Prints "rdtsc traps" or "rdtsc does not trap".
 * Usage: rdtsc [READS [thread|fork] | trap-check] */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>

static unsigned long rdtsc(void) {
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (unsigned long)hi << 32 | lo;
}

static unsigned long rdtscp(unsigned *aux) {
    unsigned lo, hi;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
    return (unsigned long)hi << 32 | lo;
}

static void *nothing(void *arg) {
    return arg;
}

static int read_counter(int reads);

static int trap_check(void) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) _exit(2);
        rdtsc();
        _exit(0);
    }
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child) return 3;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) {
        puts("rdtsc traps");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        puts("rdtsc does not trap");
    } else {
        return 4;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "trap-check") == 0) return trap_check();
    int reads = argc > 1 ? atoi(argv[1]) : 10;
    int ok = read_counter(reads);
    if (argc > 2 && strcmp(argv[2], "thread") == 0) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, nothing, NULL) != 0 || pthread_join(thread, NULL) != 0) return 2;
        puts("after a thread:");
        ok &= read_counter(reads);
    }
    if (argc > 2 && strcmp(argv[2], "fork") == 0) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0) {
            fputs("in a child: ", stdout);
            int child_ok = read_counter(reads);
            fflush(stdout);
            _exit(child_ok ? 0 : 1);
        }
        int status;
        if (child < 0 || waitpid(child, &status, 0) != child) return 3;
        printf("child %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok"
               : WIFSIGNALED(status) ? "killed by a signal" : "failed");
        ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    return ok ? 0 : 1;
}

static int read_counter(int reads) {
    int increasing = 1;
    unsigned aux;
    unsigned long last = rdtsc();
    for (int i = 1; i < reads; i++) {
        unsigned long now = i % 2 ? rdtscp(&aux) : rdtsc();
        increasing &= now > last;
        last = now;
    }
    printf("rdtsc: %d reads, %s\n", reads, increasing ? "increasing" : "NOT increasing");
    return increasing;
}
