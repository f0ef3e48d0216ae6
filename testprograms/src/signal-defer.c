/* A 1 ms SIGALRM timer whose handler only counts, while the program alternates short bursts of
 * computation (~0.1 ms, no system call) with a system call (getppid): most ticks land in a burst,
 * between system calls, and the next call comes well within the inputs engine's 20 ms bound. The
 * timer is disarmed before the output, so what is printed does not depend on where ticks land.
 * Usage: signal-defer [TICKS] (default 30): runs until that many ticks were handled.
 * signal-defer ignore: one burst of ~3 ms with the timer armed, then SIGALRM is set to SIG_IGN and
 * the program says whether a tick reached the handler before (natively one always does; a tick
 * held by a tracer past the sigaction would be ignored instead). */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;

static void on_alarm(int signo, siginfo_t *info, void *context) {
    (void)signo;
    (void)context;
    /* setitimer's SIGALRM comes from the kernel: a handler seeing SI_USER would mean the tracer's kill leaked */
    if (info->si_code == SI_USER) {
        _exit(4);
    }
    ticks++;
}

static uint64_t burst(long iterations) {
    uint64_t x = 88172645463325252ULL, sum = 0;
    for (long i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x & 1;
    }
    return sum;
}

int main(int argc, char **argv) {
    int ignore = argc > 1 && strcmp(argv[1], "ignore") == 0;
    long wanted = argc > 1 && !ignore ? strtol(argv[1], NULL, 10) : 30;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_alarm;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGALRM, &action, NULL) != 0) {
        perror("sigaction");
        return 2;
    }
    struct itimerval timer = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);
    if (ignore) {
        ticks = 0;
        uint64_t sum = burst(3000000);
        signal(SIGALRM, SIG_IGN);
        printf("%s, sum parity %d\n", ticks > 0 ? "ticked" : "no tick", (int)(sum > 0));
        return 0;
    }
    uint64_t x = 88172645463325252ULL, sum = 0;
    long bursts = 0;
    /* bounded, so that a tracer losing the ticks makes it print "too few" rather than hang */
    while (ticks < wanted && bursts < 200000) {
        for (int i = 0; i < 100000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            sum += x & 1;
        }
        bursts++;
        (void)getppid();
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("ticks %s, bursts %s\n", ticks >= wanted ? "enough" : "too few", bursts > 0 ? "some" : "none");
    printf("sum parity %d\n", (int)(sum > 0));
    return 0;
}
