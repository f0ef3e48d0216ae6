// A tiny bytecode loop for value-probe tests: builds an array of 32-bit instruction words at run
// time from argv (seed, count), then runs a dispatch loop that loads one word per step with the
// instruction at the global label wordloop_load (a 32-bit mov into a register, as lua5.4's
// `mov r12d, [r13]`), dispatches on its low bits and prints every word it loaded, in order.
// Usage: wordloop SEED COUNT
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t load_word(const uint32_t *p) {
    uint32_t w;
    __asm__ volatile(".globl wordloop_load\n"
                     "wordloop_load:\n\t"
                     "movl (%1), %0" : "=r"(w) : "r"(p) : "memory");
    return w;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: wordloop SEED COUNT\n");
        return 2;
    }
    uint32_t seed = (uint32_t) strtoul(argv[1], NULL, 0);
    long count = strtol(argv[2], NULL, 0);
    uint32_t *code = malloc(sizeof(uint32_t) * (size_t) (count + 1));
    if (code == NULL) return 1;
    for (long i = 0; i < count; i++) {
        seed = seed * 1664525u + 1013904223u;
        code[i] = seed;
    }
    uint64_t acc = 0;
    for (long pc = 0; pc < count; pc++) {
        uint32_t w = load_word(&code[pc]);
        switch (w & 3) {
            case 0: acc += w; break;
            case 1: acc ^= w; break;
            case 2: acc = acc * 3 + (w >> 7); break;
            default: acc -= w & 0xffff; break;
        }
        printf("%08x\n", w);
    }
    printf("acc %016llx\n", (unsigned long long) acc);
    free(code);
    return 0;
}
