/* A 1 ms SIGALRM timer whose handler only counts, while the program alternates short bursts of
 * computation (~0.1 ms, no system call) with a system call (getppid): most ticks land in a burst,
 * between system calls, and the next call comes well within the inputs engine's 20 ms bound. The
 * timer is disarmed before the output, so what is printed does not depend on where ticks land.
 * Usage: signal-defer [TICKS] (default 30): runs until that many ticks were handled. */
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

int main(int argc, char **argv) {
    long wanted = argc > 1 ? strtol(argv[1], NULL, 10) : 30;
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
    uint64_t x = 88172645463325252ULL, sum = 0;
    long bursts = 0;
    while (ticks < wanted) {
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
