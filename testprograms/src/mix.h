/* A hash iterated ITERATIONS times over a seed: deterministic CPU work whose result does not
 * depend on scheduling, so a program's output is the same natively and recorded. */
#ifndef MIX_H
#define MIX_H

#include <stdint.h>

static uint64_t mix(uint64_t x, uint64_t iterations) {
    for (uint64_t i = 0; i < iterations; i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 29;
        x += i;
    }
    return x;
}

#endif
