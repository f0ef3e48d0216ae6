/* Code generated at run time (JIT), which the step and DBI recorders step aside for: a run records
 * code of files (the program, its libraries, the vDSO), and such code has none.
 *
 * jit [K [S]]   K iterations of a hash first (printed: the work the recording holds), then writes a
 *               tiny function into anonymous memory (mmap read-write, then mprotect read-execute,
 *               as JITs do) and calls it K times through a pointer, summing its results; prints the
 *               sum, f(1, 2, 3, 4) = 40, the hash carried on, and how many /dev/shm mappings it
 *               has then (0: no recorder's code cache left in it); exits with status S (default
 *               0), or raises signal -S if S is negative.
 * jit rwx [K [S]]  the same with the code written into a read-write-execute mapping. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mix.h"
#include "shm_mappings.h"

/* f(a, b, c, d) = a + 2b + c + 8d + CF. It reads rcx, rdx and the carry flag as the call left them:
 * what the DBI engine's indirect-branch lookup uses (rax, rcx, rdx spilled) and must leave alone
 * (the flags), so the first call, the one a recorder steps aside at, shows if they were not put back. */
static const unsigned char CODE[] = {
    0x48, 0x8d, 0x04, 0x77, /* lea rax, [rdi + rsi*2] */
    0x48, 0x8d, 0x04, 0xc8, /* lea rax, [rax + rcx*8] */
    0x48, 0x11, 0xd0,       /* adc rax, rdx: the carry flag as the caller left it */
    0xc3,                   /* ret */
};

int main(int argc, char **argv) {
    int rwx = argc > 1 && strcmp(argv[1], "rwx") == 0;
    int first = rwx ? 2 : 1;
    uint64_t iterations = argc > first ? strtoull(argv[first], NULL, 10) : 1000;
    int status = argc > first + 1 ? atoi(argv[first + 1]) : 0;

    uint64_t before = mix(12345, iterations);
    printf("before the generated code: %016llx\n", (unsigned long long) before);
    fflush(stdout);

    int prot = rwx ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_WRITE;
    unsigned char *page = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memcpy(page, CODE, sizeof CODE);
    if (!rwx && mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    uint64_t (*generated)(uint64_t, uint64_t, uint64_t, uint64_t) =
            (uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t)) (void *) page;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        sum += generated(i + before, i ^ before, i * 3 + 1, i >> 1);
    }
    printf("generated code: sum %llu, f(1, 2, 3, 4) = %llu\n", (unsigned long long) sum,
           (unsigned long long) generated(1, 2, 3, 4));
    printf("after: %016llx\n", (unsigned long long) mix(before, iterations));
    printf("%d mappings from /dev/shm\n", shm_mappings());
    fflush(stdout);
    munmap(page, 4096);
    if (status < 0) {
        raise(-status);
    }
    return status;
}
