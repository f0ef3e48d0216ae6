/* Signals while the DBI engine serves misses: a 1 ms SIGALRM timer ticks while the program calls,
 * through a table, 1024 functions it never called before (each call an indirect-branch lookup miss,
 * each function a block to translate), so that under the futex miss handshake ticks land while the
 * tracee waits in the engine's miss routine, or is on its way in. The handler does a little work.
 * Prints the first pass's checksum, then goes on calling until the timer ticked at least MIN_TICKS
 * times, so the output is independent of timing.
 * Usage: signal-misses [MIN_TICKS] */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* 4^5 functions named by five base-4 digits; the digits, read as an octal literal, are its constant. */
#define F1(n) static __attribute__((noinline)) uint64_t f##n(uint64_t x) { return x * (2 * (n) + 1) + (n); }
#define F4(p) F1(p##0) F1(p##1) F1(p##2) F1(p##3)
#define F16(p) F4(p##0) F4(p##1) F4(p##2) F4(p##3)
#define F64(p) F16(p##0) F16(p##1) F16(p##2) F16(p##3)
#define F256(p) F64(p##0) F64(p##1) F64(p##2) F64(p##3)
F256(0) F256(1) F256(2) F256(3)

#define T1(n) f##n,
#define T4(p) T1(p##0) T1(p##1) T1(p##2) T1(p##3)
#define T16(p) T4(p##0) T4(p##1) T4(p##2) T4(p##3)
#define T64(p) T16(p##0) T16(p##1) T16(p##2) T16(p##3)
#define T256(p) T64(p##0) T64(p##1) T64(p##2) T64(p##3)
static uint64_t (*const table[])(uint64_t) = {T256(0) T256(1) T256(2) T256(3)};
#define FUNCTIONS (sizeof table / sizeof table[0])

static volatile sig_atomic_t ticks;
static volatile uint64_t handler_work;

static void on_alarm(int signo) {
    (void)signo;
    ticks++;
    uint64_t h = handler_work;
    for (int i = 0; i < 16; i++) {
        h = h * 6364136223846793005ULL + (uint64_t)i;
    }
    handler_work = h;
}

int main(int argc, char **argv) {
    int min_ticks = argc > 1 ? atoi(argv[1]) : 20;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval timer = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);

    uint64_t sum = 0;
    for (size_t i = 0; i < FUNCTIONS; i++) {
        sum = table[i](sum ^ i);
    }
    printf("%zu functions, checksum %llu\n", FUNCTIONS, (unsigned long long)sum);
    volatile uint64_t more = sum;
    while (ticks < min_ticks) {
        for (size_t i = 0; i < FUNCTIONS; i++) {
            more = table[i](more);
        }
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("at least %d ticks\n", min_ticks);
    return 0;
}
