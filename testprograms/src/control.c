/* Control flow the recorder must follow exactly: a switch compiled to a jump table, calls through
 * function pointers, values kept in the red zone across block ends, recursion, a tail call,
 * setjmp/longjmp across frames, rep movs/stos, and a clock_gettime that glibc answers in the vDSO.
 * Prints a checksum per part, so a wrong execution shows up as a different line. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int sink;

__attribute__((noinline)) static int dispatch(int op, int x) {
    switch (op) { /* dense cases: gcc emits an indirect jump through a table */
    case 0: return x + 1;
    case 1: return x * 3;
    case 2: return x - 7;
    case 3: return x ^ 0x55;
    case 4: return x << 2;
    case 5: return x >> 1;
    case 6: return -x;
    default: return x;
    }
}

static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }
static int (*const ops[])(int) = {twice, square};

__attribute__((noinline)) static unsigned ackermannish(unsigned depth) {
    return depth == 0 ? 1 : ackermannish(depth - 1) + ackermannish(depth / 2);
}

__attribute__((noinline)) static int tail(int n, int acc) {
    if (n == 0) return acc;
    sink = n;
    return tail(n - 1, acc + n); /* -O1 keeps it a call; -O2 a jump: either is fine */
}

/* Values below rsp (the red zone, as a leaf function keeps them) across a direct jump and an indirect
 * one, each a block end (and, recorded, a first-time miss): code a recorder inserts must leave them. */
__attribute__((noinline)) static unsigned long red_zone(void) {
    unsigned long near, far;
    __asm__ volatile(
        "movq $0x5a5a1234, -8(%%rsp)\n\t"
        "movq $0x0badf00d, -128(%%rsp)\n\t"
        "jmp 1f\n"
        "1:\n\t"
        "leaq 2f(%%rip), %%rax\n\t"
        "jmp *%%rax\n"
        "2:\n\t"
        "movq -8(%%rsp), %0\n\t"
        "movq -128(%%rsp), %1\n\t"
        : "=r"(near), "=r"(far) : : "rax", "memory");
    return near << 32 | far;
}

static jmp_buf env;

/* Every path ends in longjmp or recursion, which gcc 12 reports as infinite recursion: it is the point. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static void deep(int n) {
    if (n == 0) longjmp(env, 42);
    sink = n;
    deep(n - 1);
    sink = -n; /* not reached */
}

int main(void) {
    int x = 1;
    for (int i = 0; i < 50; i++) x = dispatch(i % 8, x) & 0xffff;
    printf("switch %d\n", x);

    int y = 3;
    for (int i = 0; i < 10; i++) y = ops[i & 1](y) % 10007;
    printf("pointers %d\n", y);

    printf("red zone %lx\n", red_zone());

    printf("recursion %u tail %d\n", ackermannish(12), tail(100, 0));

    int jumped = setjmp(env);
    if (jumped == 0) deep(10);
    printf("longjmp %d\n", jumped);

    char src[300], dst[300];
    unsigned long n = sizeof src;
    char *d = src;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0x5a) : "memory");
    const char *s = src;
    d = dst;
    n = sizeof src;
    __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(n) : : "memory");
    unsigned sum = 0;
    for (unsigned i = 0; i < sizeof dst; i++) sum += (unsigned char)dst[i];
    printf("rep %u %d\n", sum, memcmp(src, dst, sizeof src));
    struct timespec now;
    printf("vdso clock %d\n", clock_gettime(CLOCK_MONOTONIC, &now) == 0 && now.tv_sec + now.tv_nsec > 0);
    puts("EXIT-SUCCESS");
    return 0;
}
