/* A library with a hot loop that dlopen-host loads at run time: its traces can only be applied
 * once the program has loaded it. OTHER_BUILD makes another build of it (other code, other
 * build-id) for the refusal tests. */
unsigned long mix(unsigned long n) {
    unsigned long h = 1469598103934665603ul;
    for (unsigned long i = 0; i < n; i++) {
        h ^= i & 0xff;
        h *= 1099511628211ul;
#ifdef OTHER_BUILD
        if (h % 5 == 3) h += i;
#else
        if (h % 7 == 3) h += i;
#endif
    }
    return h;
}
