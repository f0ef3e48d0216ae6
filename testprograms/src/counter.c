/*
 * Counts to N, printing each count and sleeping 10 ms between them, then exits with status 3: a
 * process to attach to while it runs (tracedb record --pid). "counter N thread" first starts a
 * thread that sleeps until the end, which an attach must refuse. The sum printed at the end is
 * computed in memory: wrong if any iteration misbehaved while recorded.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *idle(void *arg) {
    (void) arg;
    for (;;) pause();
    return NULL;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    if (argc > 2 && strcmp(argv[2], "thread") == 0) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, idle, NULL) != 0) return 1;
    }
    struct timespec pause = {0, 10 * 1000 * 1000};
    unsigned long sum = 0;
    for (long i = 1; i <= n; i++) {
        sum = sum * 31 + (unsigned long) i;
        printf("count %ld\n", i);
        fflush(stdout);
        nanosleep(&pause, NULL);
    }
    printf("sum %lu\n", sum);
    return 3;
}
