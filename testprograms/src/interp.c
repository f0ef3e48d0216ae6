/* A tiny bytecode interpreter whose hot loop has every kind of control transfer a trace must
 * handle: a switch dispatched through a jump table (indirect jump), calls through a function
 * pointer (indirect call), direct calls and their returns, and data-dependent branches that go
 * both ways. The output is a checksum, so a wrongly executed instruction shows as a different line.
 * Usage: interp [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>

typedef unsigned long (*binary_op)(unsigned long, unsigned long);

__attribute__((noinline)) static unsigned long mix(unsigned long a, unsigned long b) {
    return (a * 31) ^ (b >> 2);
}

__attribute__((noinline)) static unsigned long fold(unsigned long a, unsigned long b) {
    return a + (b & 0xff);
}

binary_op operations[2] = {mix, fold};
unsigned char program[] = {0, 1, 2, 3, 4, 1, 0, 5, 2, 3, 6, 5};

int main(int argc, char **argv) {
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
    unsigned long acc = 1, x = 7;
    for (unsigned i = 0; i < rounds; i++) {
        for (unsigned pc = 0; pc < sizeof program; pc++) {
            switch (program[pc]) {
            case 0: acc += x; break;
            case 1: acc = mix(acc, x); break;
            case 2: x = operations[acc & 1](x, acc); break;
            case 3: acc ^= acc >> 7; break;
            case 4: x += i; break;
            case 5: if (acc & 4) acc -= x; else acc += 3; break;
            case 6: x ^= acc << 3; break;
            }
        }
    }
    printf("interp %u acc %lu x %lu\n", rounds, acc, x);
    return 0;
}
