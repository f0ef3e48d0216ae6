/* Nested counted loops and a small recursion: a deterministic workload whose
 * output is a checksum, so a wrong execution shows up as a different line. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 100;
    unsigned long sum = 0;
    for (unsigned i = 0; i < rounds; i++)
        for (unsigned j = 0; j < 100; j++)
            sum += (i * j) ^ (sum >> 3);
    printf("loops %u sum %lu fib %lu\n", rounds, sum, fib(15));
    puts("EXIT-SUCCESS");
    return 0;
}
