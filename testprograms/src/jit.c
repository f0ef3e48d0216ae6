/* Code generated at run time (JIT), which the step and DBI recorders step aside for: a run records
 * code of files (the program, its libraries, the vDSO), and such code has none.
 *
 * jit [K [S]]   K iterations of a hash first (printed: the work the recording holds), then writes a
 *               tiny function into anonymous memory (mmap read-write, then mprotect read-execute,
 *               as JITs do) and calls it K times through a pointer, summing its results; prints the
 *               sum, whether the code is still there, and how many /dev/shm mappings it has then
 *               (0: no recorder's code cache left in it); exits with status S (default 0), or
 *               raises signal -S if S is negative.
 * jit rwx [K]   the same with the code written into a read-write-execute mapping. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint64_t mix(uint64_t x, uint64_t iterations) {
    for (uint64_t i = 0; i < iterations; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 29;
        x += i;
    }
    return x;
}

/* Mappings of files in /dev/shm: a recorder that stepped aside must leave no code cache behind. */
static int shm_mappings(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int n = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        if (strstr(line, " /dev/shm/")) n++;
    }
    if (maps) fclose(maps);
    return n;
}

/* lea eax, [rdi + rdi*2 + 42]; ret: f(x) = 3x + 42. */
static const unsigned char CODE[] = {0x8d, 0x44, 0x7f, 0x2a, 0xc3};

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
    int (*generated)(int) = (int (*)(int)) (void *) page;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        sum += (uint64_t) generated((int) (i & 0xffff));
    }
    printf("generated code: sum %llu, f(1) = %d\n", (unsigned long long) sum, generated(1));
    printf("after: %016llx\n", (unsigned long long) mix(before, iterations));
    printf("%d mappings from /dev/shm\n", shm_mappings());
    fflush(stdout);
    munmap(page, 4096);
    if (status < 0) {
        raise(-status);
    }
    return status;
}
