/* The loader's test program: a hot, deterministic loop through a small non-inlined function, whose
 * head the loader tests patch with hand-built traces. `trace_marker` is never written by the
 * program itself: a test trace increments it, so its final value shows how often the trace ran.
 * The exit status is part of the result, so a test also sees that it passes through. */
#include <stdio.h>
#include <stdlib.h>

volatile unsigned long trace_marker;

__attribute__((noinline)) unsigned long mix(unsigned long x, unsigned long i) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ul;
    return x + i;
}

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    unsigned long x = 1;
    for (unsigned long i = 0; i < n; i++) x = mix(x, i);
    printf("loader-target %lu result %lu\n", n, x);
    printf("marker %lu\n", trace_marker);
    return (int)(x % 7) + 3;
}
