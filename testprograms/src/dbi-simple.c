/* A small deterministic workload for the DBI engine: counted loops, recursion, a switch that gcc
 * compiles to a jump table, calls through function pointers, RIP-relative globals, a loop that
 * jrcxz/loop-free code reaches through conditional branches, and calls into libc (printf, strlen,
 * memset). The output is a checksum line, so a wrong execution prints something else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long counter;
static char buffer[256];

static unsigned long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned long twice(unsigned long x) { return 2 * x; }
static unsigned long plus3(unsigned long x) { return x + 3; }
static unsigned long squared(unsigned long x) { return x * x; }
static unsigned long (*const ops[])(unsigned long) = {twice, plus3, squared};

__attribute__((noinline)) static unsigned long classify(unsigned v) {
    switch (v % 7) {
    case 0: return 11;
    case 1: return counter + 13;
    case 2: return v * 17;
    case 3: return v ^ 19;
    case 4: return 23;
    case 5: return v >> 1;
    default: return 29;
    }
}

int main(int argc, char **argv) {
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 50;
    unsigned long sum = 0;
    for (unsigned i = 0; i < rounds; i++) {
        sum += classify(i);
        sum = ops[i % 3](sum) & 0xffffffffUL;
        counter += i;
    }
    memset(buffer, 'x', sizeof buffer - 1);
    sum += strlen(buffer);
    printf("dbi-simple %u sum %lu fib %lu counter %lu\n", rounds, sum, fib(12), counter);
    puts("EXIT-SUCCESS");
    return 0;
}
