/* Signal handlers at arbitrary points: a 1 ms SIGALRM timer whose handler does some work while the
 * program computes, waits in pause() and nanosleep(), and blocks in a read() that SA_RESTART
 * restarts until the handler itself writes what it reads; a handler that siglongjmps out of a busy
 * loop (asynchronously) and out of faults (SIGSEGV from a NULL store, SIGFPE from a division by
 * zero: synchronous, at the faulting instruction); two signals pending at once, whose handlers
 * nest; and a raise() caught on an alternate signal stack. Everything printed is independent of
 * timing (how many ticks came is only checked against a minimum), so a recorded run prints exactly
 * what a plain run does. The timer stays armed up to the exit.
 * Usage: signal-timer [ITERATIONS [TIMER]]; TIMER 0 leaves out the timer and what needs it, so only
 * synchronous signals remain and the run is the same every time. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;
static volatile uint64_t handler_work;
static volatile sig_atomic_t escape_at;
static sigjmp_buf escape;
static volatile sig_atomic_t on_altstack;
static int pipe_fds[2];
static volatile sig_atomic_t write_at;

static void on_alarm(int signo) {
    (void)signo;
    ticks++;
    /* Work inside the handler: a few hundred instructions, calls included. */
    uint64_t h = handler_work;
    for (int i = 0; i < 64; i++) {
        h = h * 6364136223846793005ULL + (uint64_t)i;
    }
    handler_work = h;
    if (write_at != 0 && ticks >= write_at) {
        write_at = 0;
        if (write(pipe_fds[1], "x", 1) != 1) {
            _exit(3);
        }
    }
    if (escape_at != 0 && ticks >= escape_at) {
        escape_at = 0;
        siglongjmp(escape, 1);
    }
}

static void on_fault(int signo) {
    siglongjmp(escape, signo);
}

/* Handlers entered one after the other, in the order they ran. */
static char order[8];
static volatile sig_atomic_t ordered;

static void on_pending(int signo) {
    if (ordered < (sig_atomic_t)sizeof order - 1) {
        order[ordered++] = signo == SIGUSR1 ? '1' : '2';
    }
}

static void on_usr1(int signo) {
    stack_t now;
    sigaltstack(NULL, &now);
    on_altstack = signo == SIGUSR1 && (now.ss_flags & SS_ONSTACK) != 0;
}

static void install(int signo, void (*handler)(int), int flags) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = flags;
    sigemptyset(&action.sa_mask);
    if (sigaction(signo, &action, NULL) != 0) {
        perror("sigaction");
        exit(2);
    }
}

/* A computation whose result does not depend on where signals land. */
static uint64_t compute(long iterations) {
    uint64_t x = 88172645463325252ULL;
    uint64_t sum = 0;
    for (long i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x % 1000;
    }
    return sum;
}

static void wait_and_escape(void) {
    /* Blocking system calls interrupted by the timer: pause() returns with EINTR after each tick. */
    sig_atomic_t target = ticks + 5;
    while (ticks < target) {
        pause();
    }
    struct timespec nap = {0, 3000000};
    while (nanosleep(&nap, &nap) != 0) {
    }
    puts("waited");

    /* A read that blocks until the handler writes: each tick interrupts it and SA_RESTART restarts
     * it (the kernel rewinds rip onto the syscall). */
    if (pipe(pipe_fds) != 0) {
        perror("pipe");
        exit(2);
    }
    char c = 0;
    write_at = ticks + 5;
    ssize_t got = read(pipe_fds[0], &c, 1);
    printf("read %zd '%c' across restarts\n", got, c);

    /* An asynchronous siglongjmp out of a busy loop. */
    volatile uint64_t spins = 0;
    if (sigsetjmp(escape, 1) == 0) {
        escape_at = ticks + 3;
        for (;;) {
            spins++;
        }
    }
    puts("escaped the busy loop");
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 30000000;
    int timed = argc > 2 ? strcmp(argv[2], "0") != 0 : 1;
    if (timed) {
        install(SIGALRM, on_alarm, SA_RESTART);
        struct itimerval timer = {{0, 1000}, {0, 1000}};
        setitimer(ITIMER_REAL, &timer, NULL);
    }

    printf("compute %llu\n", (unsigned long long)compute(iterations));
    if (timed) {
        wait_and_escape();
    }

    /* Synchronous faults, caught and escaped. */
    install(SIGSEGV, on_fault, 0);
    install(SIGFPE, on_fault, 0);
    int caught = sigsetjmp(escape, 1);
    if (caught == 0) {
        *(volatile int *)(uintptr_t)(argc - 1 - (argc - 1)) = 1;
    }
    printf("caught %d\n", caught);
    caught = sigsetjmp(escape, 1);
    if (caught == 0) {
        volatile int zero = argc - argc;
        volatile int one = argc - argc + 1;
        printf("%d\n", one / zero);
    }
    printf("caught %d\n", caught);

    /* Two signals pending at once, unblocked together: the kernel stacks both frames before the
     * program runs again (SIGUSR1 is taken first, so SIGUSR2's handler runs first, on top). */
    install(SIGUSR1, on_pending, 0);
    install(SIGUSR2, on_pending, 0);
    sigset_t both, old;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    sigprocmask(SIG_BLOCK, &both, &old);
    raise(SIGUSR1);
    raise(SIGUSR2);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("pending handlers ran in order %s\n", order);

    /* raise() on an alternate signal stack. */
    stack_t alt = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16, .ss_flags = 0};
    sigaltstack(&alt, NULL);
    install(SIGUSR1, on_usr1, SA_ONSTACK);
    raise(SIGUSR1);
    printf("altstack %d\n", (int)on_altstack);

    if (timed) {
        printf("ticks %s\n", ticks >= 10 ? "at least 10" : "too few");
    }
    puts("EXIT-SUCCESS");
    return 0;
}
