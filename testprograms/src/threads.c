/* Threads, which the step and DBI recorders step aside for (one run records one thread).
 *
 * threads            creates one thread that adds 1 to 41 and joins it: "thread made 42".
 * threads N K [S]    single-threaded work first (printed), then N threads each doing K iterations of
 *                    a hash over its own seed, joined in order; prints each thread's result and their
 *                    combination, which do not depend on scheduling, and how many /dev/shm mappings
 *                    it has then (0: no recorder's code cache left in it); exits with status S
 *                    (default 0), or raises signal -S if S is negative.
 * threads untraced   forks a process with clone(CLONE_UNTRACED), which a tracer cannot follow
 *                    (the recorders refuse it): "untraced child exited 0". */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mix.h"
#include "shm_mappings.h"

static void *work(void *arg) {
    *(int *) arg += 1;
    return NULL;
}

struct worker {
    pthread_t thread;
    uint64_t seed;
    uint64_t iterations;
    uint64_t result;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    w->result = mix(w->seed, w->iterations);
    return NULL;
}


static int several(long threads, uint64_t iterations, int status) {
    /* Before any thread: what the recording holds. */
    uint64_t before = mix(12345, iterations);
    printf("single-threaded: %016llx\n", (unsigned long long) before);
    fflush(stdout);
    struct worker *workers = calloc((size_t) threads, sizeof *workers);
    if (workers == NULL) return 1;
    for (long i = 0; i < threads; i++) {
        workers[i].seed = before + (uint64_t) i;
        workers[i].iterations = iterations;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) return 1;
    }
    uint64_t combined = before;
    for (long i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        printf("thread %ld: %016llx\n", i, (unsigned long long) workers[i].result);
        combined = combined * 31 + workers[i].result;
    }
    printf("combined: %016llx\n", (unsigned long long) combined);
    printf("%d mappings from /dev/shm\n", shm_mappings());
    fflush(stdout);
    free(workers);
    if (status < 0) {
        raise(-status);
    }
    return status;
}

/* A fork that ptrace cannot follow: the raw clone call, as no libc wrapper passes CLONE_UNTRACED. */
static int untraced(void) {
    long child = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
    if (child == 0) _exit(0);
    if (child < 0) return 1;
    int status = 0;
    waitpid((pid_t) child, &status, 0);
    printf("untraced child exited %d\n", WEXITSTATUS(status));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "untraced") == 0) {
        return untraced();
    }
    if (argc >= 3) {
        return several(atol(argv[1]), strtoull(argv[2], NULL, 10), argc > 3 ? atoi(argv[3]) : 0);
    }
    int value = 41;
    pthread_t thread;
    if (pthread_create(&thread, NULL, work, &value) != 0) return 1;
    pthread_join(thread, NULL);
    printf("thread made %d\n", value);
    return 0;
}
