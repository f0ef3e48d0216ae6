/* A bytecode interpreter dispatched as lua5.4 is, for value-guard tests: every handler ends with
 * its own fetch of the next 32-bit instruction word (a `mov r32, [mem]`), decodes its opcode (low
 * 7 bits) and operands with shifts and masks, and jumps through a table of label addresses. The
 * loop's bytecode is fixed, so each dispatch of a trace through it loads one word every pass: the
 * trace compiler guards that word and folds its decode. Program "a" and program "b" run the same
 * opcodes in the same order with other operands (other words): a cache recorded on "a" meets other
 * words at every guard on "b". The output is a checksum of the registers. Built with -O2 (see the
 * Makefile), where gcc gives the handlers one shared fetch block, as lua5.4 has a few.
 * Usage: valueloop a|b ROUNDS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ADD, SUB, MULK, XORS, SHR, LOOP, HALT };
#define I(op, a, b, c) ((uint32_t)(op) | (uint32_t)(a) << 7 | (uint32_t)(b) << 16 | (uint32_t)(c) << 24)

static const uint32_t program_a[] = {
    I(ADD, 1, 1, 2), I(MULK, 2, 2, 3), I(XORS, 3, 3, 1), I(SHR, 4, 3, 5), I(SUB, 5, 5, 4), I(ADD, 6, 6, 1),
    I(LOOP, 0, 0, 0), I(HALT, 0, 0, 0),
};
static const uint32_t program_b[] = {
    I(ADD, 2, 2, 1), I(MULK, 3, 1, 5), I(XORS, 1, 1, 3), I(SHR, 5, 4, 2), I(SUB, 4, 6, 5), I(ADD, 6, 6, 2),
    I(LOOP, 0, 0, 0), I(HALT, 0, 0, 0),
};
static const uint64_t constants[] = {3, 5, 7, 11, 13, 17, 19, 23};

/* A tagged value, 16 bytes as lua5.4's TValue. */
typedef struct { uint64_t v; uint64_t tag; } Value;

__attribute__((noinline)) static void run(const uint32_t *code, Value *r, volatile int *hook) {
    static const void *const dispatch[] = {
        &&op_add, &&op_sub, &&op_mulk, &&op_xors, &&op_shr, &&op_loop, &&op_halt,
    };
    const uint32_t *pc = code;
    uint32_t i;
    Value *ra;
    /* The hook test before each fetch is lua5.4's vmfetch's (a trace guards it like any branch). */
#define NEXT() do { if (*hook) return; i = *pc++; ra = r + ((i >> 7) & 0xff); goto *dispatch[i & 0x7f]; } while (0)
#define B ((i >> 16) & 0xff)
#define C (i >> 24)
    NEXT();
op_add:  { uint32_t b = B, c = C; ra->v = r[b].v + r[c].v; ra->tag = 3; NEXT(); }
op_sub:  { uint32_t b = B, c = C; ra->v = r[b].v - r[c].v; ra->tag = 3; NEXT(); }
op_mulk: { uint32_t b = B, c = C; ra->v = r[b].v * constants[c & 7]; ra->tag = 3; NEXT(); }
op_xors: { uint32_t b = B, c = C; ra->v = r[b].v ^ (r[c].v << 5); ra->tag = 3; NEXT(); }
op_shr:  { uint32_t b = B, c = C; ra->v = r[b].v >> (r[c].v & 31); ra->tag = 3; NEXT(); }
op_loop: if (--r[0].v != 0) pc = code; NEXT();
op_halt: return;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "a") != 0 && strcmp(argv[1], "b") != 0)) {
        fprintf(stderr, "usage: valueloop a|b ROUNDS\n");
        return 2;
    }
    static volatile int hook = 0;
    uint64_t rounds = strtoull(argv[2], NULL, 10);
    Value r[8] = {{rounds, 3}, {1, 3}, {2, 3}, {3, 3}, {4, 3}, {5, 3}, {6, 3}, {7, 3}};
    run(argv[1][0] == 'a' ? program_a : program_b, r, &hook);
    uint64_t sum = 0;
    for (int k = 1; k < 8; k++) sum = sum * 31 + r[k].v;
    printf("%s %llu rounds: %016llx\n", argv[1], (unsigned long long) rounds, (unsigned long long) sum);
    return 0;
}
