/* A register-machine bytecode interpreter dispatched as lua5.4 is: computed goto through a
 * read-only table of label addresses (in a PIE: .data.rel.ro, filled by R_X86_64_RELATIVE
 * relocations), its base held in a register, each instruction word decoded into an opcode (low
 * 7 bits) and operands. The trace compiler guards such a dispatch's opcode instead of the loaded
 * target (DispatchSpecialiser). The output is a checksum of the registers, so a wrongly executed
 * instruction shows as a different line; its three bytecode sequences differ,
 * so a trace recorded on one meets other opcodes at its guards.
 * Usage: interp-goto [ROUNDS] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { ADD, SUB, MUL, XORS, SHR, LOOP, HALT, MOVI };
#define I(op, a, b, c) ((uint32_t)(op) | (uint32_t)(a) << 7 | (uint32_t)(b) << 16 | (uint32_t)(c) << 24)

/* r0 counts down; r1..r5 mix. Each opcode's successor in the second and third sequences differs
 * from its successor in the first in the lowest bit where the sequences allow it, so a trace
 * recorded through the first meets, at its dispatch guards, opcodes one bit away from the
 * recorded ones. */
static const uint32_t first[] = {
    I(ADD, 1, 1, 2), I(MUL, 2, 2, 3), I(SHR, 4, 3, 3), I(SUB, 5, 5, 4), I(XORS, 3, 3, 1),
    I(LOOP, 0, 0, 0), I(HALT, 0, 0, 0),
};
static const uint32_t second[] = {
    I(SUB, 1, 1, 3), I(MUL, 4, 4, 2), I(LOOP, 0, 0, 0), I(HALT, 0, 0, 0),
};
static const uint32_t third[] = {
    I(ADD, 3, 3, 1), I(XORS, 1, 1, 4), I(SHR, 2, 1, 5), I(LOOP, 0, 0, 0), I(HALT, 0, 0, 0),
};

/* A tagged value, 16 bytes as lua5.4's TValue: the destination's address is base + A*16, an add. */
typedef struct { uint64_t v; uint64_t tag; } Value;

__attribute__((noinline)) static void run(const uint32_t *code, Value *r) {
    static const void *const dispatch[] = {
        &&op_add, &&op_sub, &&op_mul, &&op_xors, &&op_shr, &&op_loop, &&op_halt, &&op_movi,
    };
    const uint32_t *pc = code;
    uint32_t i;
    Value *ra;
#define NEXT() do { i = *pc++; ra = r + ((i >> 7) & 0xff); goto *dispatch[i & 0x7f]; } while (0)
#define B ((i >> 16) & 0xff)
#define C (i >> 24)
    NEXT();
op_add:  { uint32_t b = B, c = C; ra->v = r[b].v + r[c].v; NEXT(); }
op_sub:  { uint32_t b = B, c = C; ra->v = r[b].v - r[c].v; NEXT(); }
op_mul:  { uint32_t b = B, c = C; ra->v = r[b].v * (r[c].v | 1); NEXT(); }
op_xors: { uint32_t b = B, c = C; ra->v = r[b].v ^ (r[c].v << 5); NEXT(); }
op_shr:  { uint32_t b = B, c = C; ra->v = r[b].v >> (r[c].v & 31); NEXT(); }
op_movi: { uint32_t b = B; ra->v = b; NEXT(); }
op_loop: if (--r[0].v != 0) pc = code; NEXT();
op_halt: return;
}

int main(int argc, char **argv) {
    uint64_t rounds = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
    Value r[8] = {{rounds, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 0}};
    run(first, r);
    r[0].v = rounds / 2 + 1;
    run(second, r);
    r[0].v = rounds / 3 + 1;
    run(third, r);
    uint64_t sum = 0;
    for (int k = 1; k < 8; k++) sum = sum * 1000003 + r[k].v;
    printf("interp-goto %llu %llu\n", (unsigned long long)rounds, (unsigned long long)sum);
    return 0;
}
