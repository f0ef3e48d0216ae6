/* One hot loop per kind of code that recorded traces must run correctly: a switch compiled to a jump
 * table, calls through function pointers, recursion, tail calls, setjmp/longjmp, a signal handler,
 * rep movs/stos, SSE and AVX arithmetic, global (RIP-relative in PIC builds) data, calls into libc, and
 * the same loops in several threads at once.
 * The end-to-end tests record a small input, compile the recording and run a larger one with the
 * cache; every workload prints a checksum, so a wrongly executed instruction shows as a different line.
 * Each loop mostly follows one path and now and then another, so that traces are worth selecting and
 * their guards still fail at run time (side exits).
 * Usage: hotloops WORKLOAD N [ARG]   (workloads: see the table at the end) */
#include <immintrin.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef unsigned long u64;

static volatile u64 sink;

/* ---- switch: a dense switch, which gcc compiles to an indirect jump through a table */
__attribute__((noinline)) static u64 dispatch(unsigned op, u64 x) {
    switch (op) {
    case 0: return x + 1;
    case 1: return x * 3;
    case 2: return x - 7;
    case 3: return x ^ 0x55;
    case 4: return x << 2 | x >> 62;
    case 5: return x >> 1;
    case 6: return ~x;
    case 7: return x * 0x9e3779b97f4a7c15ul;
    default: return x;
    }
}

static u64 run_switch(u64 n, u64 arg) {
    (void)arg;
    u64 x = 1;
    for (u64 i = 0; i < n; i++) {
        unsigned op = (i & 7) == 0 ? (unsigned)(i >> 3) % 8 : 7; /* mostly case 7, the others now and then */
        x = dispatch(op, x) + i;
    }
    return x;
}

/* ---- pointers: indirect calls */
__attribute__((noinline)) static u64 twice(u64 x) { return 2 * x + 1; }
__attribute__((noinline)) static u64 scramble(u64 x) { return (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ul; }
__attribute__((noinline)) static u64 rotate(u64 x) { return x << 7 | x >> 57; }
static u64 (*const operations[])(u64) = {scramble, twice, rotate};

static u64 run_pointers(u64 n, u64 arg) {
    (void)arg;
    u64 x = 3;
    for (u64 i = 0; i < n; i++) x = operations[i % 5 == 0 ? 1 + (i / 5) % 2 : 0](x) + i;
    return x;
}

/* ---- recursion: calls and returns nested several deep */
__attribute__((noinline)) static u64 fib(unsigned k) { return k < 2 ? k : fib(k - 1) + fib(k - 2); }

static u64 run_recursion(u64 n, u64 arg) {
    (void)arg;
    u64 sum = 0;
    for (u64 i = 0; i < n; i++) sum = sum * 31 + fib(8 + (unsigned)(i % 3));
    return sum;
}

/* ---- tail: mutual tail calls, compiled to jumps (this file is built with -foptimize-sibling-calls) */
__attribute__((noinline)) static u64 odd_steps(u64 k, u64 acc);
__attribute__((noinline)) static u64 even_steps(u64 k, u64 acc) {
    if (k == 0) return acc;
    return odd_steps(k - 1, acc * 3 + k);
}
__attribute__((noinline)) static u64 odd_steps(u64 k, u64 acc) {
    if (k == 0) return acc ^ 1;
    return even_steps(k - 1, acc + (k << 1));
}

static u64 run_tail(u64 n, u64 arg) {
    (void)arg;
    u64 sum = 0;
    for (u64 i = 0; i < n; i++) sum += even_steps(20 + i % 4, i);
    return sum;
}

/* ---- longjmp: unwinds from a few frames deep, every fourth round */
static jmp_buf unwind;

/* Every path ends in longjmp or recursion, which gcc 12 reports as infinite recursion: it is the point. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static u64 descend(u64 depth, u64 x) {
    sink = x;
    if (depth == 0) longjmp(unwind, (int)(x & 0xff) + 1);
    return descend(depth - 1, x * 5 + depth) + 1;
}

/* One round: setjmp, then a descent that always ends in longjmp back here. */
__attribute__((noinline)) static int jump_round(u64 i) {
    int value = setjmp(unwind);
    if (value == 0) descend(i % 4 == 0 ? 3 : 0, i); /* never returns: it longjmps */
    return value;
}

static u64 run_longjmp(u64 n, u64 arg) {
    (void)arg;
    u64 sum = 0;
    for (u64 i = 0; i < n; i++) sum = sum * 7 + (u64)jump_round(i);
    return sum;
}

/* ---- signal: raise() every ARG-th round (0: never) and, when ARG is not 0, a 1 ms interval timer
 * that interrupts the loop wherever it is. The handlers only count, so the checksum is the same
 * however often the timer fires; raised signals are part of the checksum. */
static volatile sig_atomic_t raised, ticks;

static void on_usr1(int signo) { raised += signo == SIGUSR1; }
static void on_alarm(int signo) { ticks += signo == SIGALRM; }

static u64 run_signal(u64 n, u64 every) {
    if (every != 0) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_flags = SA_RESTART;
        action.sa_handler = on_usr1;
        sigaction(SIGUSR1, &action, NULL);
        action.sa_handler = on_alarm;
        sigaction(SIGALRM, &action, NULL);
        struct itimerval timer = {{0, 1000}, {0, 1000}};
        setitimer(ITIMER_REAL, &timer, NULL);
    }
    u64 x = 5;
    for (u64 i = 0; i < n; i++) {
        x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ul + i;
        if (every != 0 && i % every == 0) {
            raise(SIGUSR1);
            x += (u64)raised;
        }
    }
    if (every != 0) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
        fprintf(stderr, "hotloops: %d timer signals\n", (int)ticks); /* varies: not compared */
    }
    return x;
}

/* ---- rep: rep stosb / movsb / movsq on buffers of varying length */
static unsigned char source[4096], target[4096];

static u64 run_rep(u64 n, u64 arg) {
    (void)arg;
    u64 sum = 0;
    for (u64 i = 0; i < n; i++) {
        u64 count = 64 + i % 512;
        unsigned char *d = source + i % 64;
        __asm__ volatile("rep stosb" : "+D"(d), "+c"(count) : "a"((int)(i & 0xff)) : "memory");
        const unsigned char *s = source;
        d = target;
        count = 128 + i % 256;
        __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(count) : : "memory");
        s = source + 8;
        d = target + 1024;
        count = 32;
        __asm__ volatile("rep movsq" : "+S"(s), "+D"(d), "+c"(count) : : "memory");
        sum = sum * 33 + target[i % 384] + target[1024 + i % 256];
    }
    return sum;
}

/* ---- sse: SSE2 packed integer and double arithmetic */
static u64 run_sse(u64 n, u64 arg) {
    (void)arg;
    __m128i acc = _mm_set_epi32(1, 2, 3, 4);
    __m128d d = _mm_set_pd(1.5, 0.25);
    for (u64 i = 0; i < n; i++) {
        __m128i v = _mm_set1_epi32((int)i);
        acc = _mm_add_epi32(_mm_xor_si128(acc, _mm_slli_epi32(v, 3)), _mm_shuffle_epi32(acc, 0x39));
        d = _mm_add_pd(_mm_mul_pd(d, _mm_set1_pd(0.5)), _mm_set1_pd((double)(i & 15)));
    }
    int lanes[4];
    _mm_storeu_si128((__m128i *)lanes, acc);
    double halves[2];
    _mm_storeu_pd(halves, d);
    return (u64)(unsigned)lanes[0] ^ (u64)(unsigned)lanes[3] << 32 ^ (u64)(halves[0] * 1024 + halves[1]);
}

/* ---- avx: 256-bit AVX2 arithmetic when the CPU has it, else the same sums in scalar code */
__attribute__((target("avx2"), noinline)) static u64 avx2_sum(u64 n) {
    __m256i acc = _mm256_set_epi64x(1, 2, 3, 4);
    for (u64 i = 0; i < n; i++) {
        __m256i v = _mm256_set1_epi64x((long long)i);
        acc = _mm256_add_epi64(_mm256_xor_si256(acc, _mm256_slli_epi64(v, 5)), _mm256_srli_epi64(acc, 3));
    }
    long long lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, acc);
    return (u64)(lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3]);
}

__attribute__((noinline)) static u64 scalar_sum(u64 n) {
    u64 lanes[4] = {4, 3, 2, 1};
    for (u64 i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) lanes[k] = (lanes[k] ^ (i << 5)) + (lanes[k] >> 3);
    return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
}

static u64 run_avx(u64 n, u64 arg) {
    (void)arg;
    return __builtin_cpu_supports("avx2") ? avx2_sum(n) : scalar_sum(n);
}

/* ---- riprel: global tables and counters (RIP-relative in PIC builds, absolute in non-PIC ones) */
static const unsigned char sbox[256] = {
#define ROW(b) (b) * 7 % 256, (b * 7 + 13) % 256, (b * 7 + 101) % 256, (b * 7 + 199) % 256
    ROW(0), ROW(1), ROW(2), ROW(3), ROW(4), ROW(5), ROW(6), ROW(7), ROW(8), ROW(9), ROW(10), ROW(11),
    ROW(12), ROW(13), ROW(14), ROW(15), ROW(16), ROW(17), ROW(18), ROW(19), ROW(20), ROW(21), ROW(22),
    ROW(23), ROW(24), ROW(25), ROW(26), ROW(27), ROW(28), ROW(29), ROW(30), ROW(31), ROW(32), ROW(33),
    ROW(34), ROW(35), ROW(36), ROW(37), ROW(38), ROW(39), ROW(40), ROW(41), ROW(42), ROW(43), ROW(44),
    ROW(45), ROW(46), ROW(47), ROW(48), ROW(49), ROW(50), ROW(51), ROW(52), ROW(53), ROW(54), ROW(55),
    ROW(56), ROW(57), ROW(58), ROW(59), ROW(60), ROW(61), ROW(62), ROW(63)
#undef ROW
};
u64 histogram[16];
u64 global_state = 0x1234;

static u64 run_riprel(u64 n, u64 arg) {
    (void)arg;
    for (u64 i = 0; i < n; i++) {
        global_state = (global_state << 8 | sbox[(global_state ^ i) & 0xff]) * 3 + 1;
        histogram[global_state & 15]++;
    }
    u64 sum = global_state;
    for (int k = 0; k < 16; k++) sum = sum * 131 + histogram[k];
    return sum;
}

/* ---- libc: formatting, string functions, qsort calling back into the program */
static int compare_desc(const void *a, const void *b) {
    u64 x = *(const u64 *)a, y = *(const u64 *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static u64 run_libc(u64 n, u64 arg) {
    (void)arg;
    u64 sum = 0;
    char text[64], copy[64];
    u64 values[16];
    for (u64 i = 0; i < n; i++) {
        int len = snprintf(text, sizeof text, "%lu:%lx", i * 2654435761ul, i);
        memcpy(copy, text, (size_t)len + 1);
        sum += strlen(copy) + strtoul(copy, NULL, 10) % 1000 + (strchr(copy, ':') - copy);
        if (i % 8 == 0) {
            for (int k = 0; k < 16; k++) values[k] = (i * (u64)(k + 1) * 0x9e3779b9ul) % 1009;
            qsort(values, 16, sizeof values[0], compare_desc);
            sum = sum * 3 + values[0] + values[15];
        }
    }
    return sum;
}

/* ---- threads: ARG threads run the switch, pointer and recursion loops at once, each on its own
 * seed; ARG 0 runs the same work in the main thread (a recording steps aside at a second thread,
 * so recordings use 0). The checksum combines the threads' in thread order, so it does not depend on scheduling. */
struct thread_work {
    pthread_t thread;
    u64 n, seed, result;
};

static void *thread_main(void *argument) {
    struct thread_work *w = argument;
    w->result = run_switch(w->n + w->seed, 0) ^ run_pointers(w->n, 0) * 3 ^ run_recursion(w->n / 64 + w->seed, 0);
    return NULL;
}

static u64 run_threads(u64 n, u64 threads) {
    struct thread_work work[16];
    u64 count = threads == 0 ? 1 : threads > 16 ? 16 : threads;
    for (u64 k = 0; k < count; k++) {
        work[k] = (struct thread_work){.n = n, .seed = k};
        if (threads == 0) thread_main(&work[k]);
        else if (pthread_create(&work[k].thread, NULL, thread_main, &work[k]) != 0) return 0;
    }
    u64 sum = 0;
    for (u64 k = 0; k < count; k++) {
        if (threads != 0) pthread_join(work[k].thread, NULL);
        sum = sum * 1000003 + work[k].result;
    }
    return sum;
}

static const struct {
    const char *name;
    u64 (*run)(u64 n, u64 arg);
} workloads[] = {
    {"switch", run_switch}, {"pointers", run_pointers}, {"recursion", run_recursion}, {"tail", run_tail},
    {"longjmp", run_longjmp}, {"signal", run_signal}, {"rep", run_rep}, {"sse", run_sse}, {"avx", run_avx},
    {"riprel", run_riprel}, {"libc", run_libc}, {"threads", run_threads},
};

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: hotloops WORKLOAD N [ARG]\n");
        return 2;
    }
    u64 n = strtoul(argv[2], NULL, 10);
    u64 arg = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
    for (size_t k = 0; k < sizeof workloads / sizeof workloads[0]; k++) {
        if (strcmp(argv[1], workloads[k].name) == 0) {
            printf("%s %lu %lu\n", argv[1], n, workloads[k].run(n, arg));
            return (int)(n % 5); /* a status of its own, so that a test sees it pass through */
        }
    }
    fprintf(stderr, "hotloops: no workload %s\n", argv[1]);
    return 2;
}
