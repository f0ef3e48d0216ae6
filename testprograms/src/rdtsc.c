/* Reads the time-stamp counter with rdtsc and rdtscp, which no system call reports: the values
 * must increase (as a real counter's do) and the program must run on after each. Prints how many
 * reads were made and whether they increased, never the values, so its output is the same in every
 * run. "rdtsc READS thread" then starts a thread, which ends an inputs recording, and reads the
 * counter as many times again: the program must go on with a working rdtsc; "rdtsc READS fork" has
 * a child process (which a recorder does not follow) read it as many times, and waits for it.
 * Usage: rdtsc [READS [thread|fork]] */
#include <pthread.h>
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

int main(int argc, char **argv) {
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
