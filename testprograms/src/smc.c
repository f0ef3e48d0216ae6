/* Self-modifying code in the program's own file mapping, which the step and DBI recorders step
 * aside for: a translation made before the code was rewritten would run the old code.
 *
 * smc [K [S]]  K iterations of a hash first (printed: the work the recording holds), then calls
 *              patched() (returns 0x11111111), makes its page of .text read-write-execute with
 *              mprotect, rewrites the immediate it returns to 0x22222222 and calls it again;
 *              prints both results, the hash carried on and how many /dev/shm mappings it has
 *              then (0: no recorder's code cache left in it); exits with status S (default 0),
 *              or raises signal -S if S is negative. (A W^X variant, the page made read-write
 *              without execute, cannot be written so: main's own code shares the page.) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "mix.h"
#include "shm_mappings.h"

/* mov eax, imm32; ret. Written by hand so that the immediate is at a known offset (1). */
__asm__(".text\n"
        ".globl patched\n"
        ".type patched, @function\n"
        "patched:\n"
        "    movl $0x11111111, %eax\n"
        "    ret\n"
        ".size patched, .-patched\n");
uint32_t patched(void);

int main(int argc, char **argv) {
    int first = 1;
    uint64_t iterations = argc > first ? strtoull(argv[first], NULL, 10) : 1000;
    int status = argc > first + 1 ? atoi(argv[first + 1]) : 0;

    uint64_t before = mix(12345, iterations);
    printf("before: %016llx\n", (unsigned long long) before);
    uint32_t (*volatile call)(void) = patched;
    uint32_t original = call();
    fflush(stdout);

    long page_size = sysconf(_SC_PAGESIZE);
    unsigned char *code = (unsigned char *) (void *) patched;
    unsigned char *page = (unsigned char *) ((uintptr_t) code & ~(uintptr_t) (page_size - 1));
    /* Two pages: the immediate may straddle a page boundary. */
    if (mprotect(page, 2 * page_size, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    uint32_t replacement = 0x22222222;
    memcpy(code + 1, &replacement, sizeof replacement);
    uint32_t rewritten = call();
    printf("patched() returned %#x, then %#x after rewriting it\n", original, rewritten);
    printf("after: %016llx\n", (unsigned long long) mix(before ^ rewritten, iterations));
    printf("%d mappings from /dev/shm\n", shm_mappings());
    fflush(stdout);
    if (status < 0) {
        raise(-status);
    }
    return status;
}
