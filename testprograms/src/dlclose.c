/* Unloads a library and loads another build of it, which the loader places at the same address:
 * `dlclose LIB OTHER N STATUS`. Calls LIB's mix(N), dlcloses LIB (its code is unmapped), dlopens
 * OTHER and calls its mix(N): a recorder that kept LIB's translations would run them for OTHER's
 * code and print LIB's result twice. Prints both results, whether OTHER landed where LIB was, and
 * exits with STATUS. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef unsigned long (*mix_fn)(unsigned long);

static void *load(const char *path, mix_fn *mix) {
    void *lib = dlopen(path, RTLD_NOW);
    if (lib == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        exit(2);
    }
    *mix = (mix_fn)dlsym(lib, "mix");
    if (*mix == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        exit(2);
    }
    return lib;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: dlclose LIB OTHER N STATUS\n");
        return 2;
    }
    unsigned long n = strtoul(argv[3], NULL, 10);
    mix_fn mix;
    void *lib = load(argv[1], &mix);
    unsigned long first = mix(n);
    void *where = (void *)mix;
    printf("first mix %lx\n", first);
    fflush(stdout);
    if (dlclose(lib) != 0) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    void *other = load(argv[2], &mix);
    printf("other mix %lx\n", mix(n));
    printf("same address: %s\n", (void *)mix == where ? "yes" : "no");
    dlclose(other);
    return atoi(argv[4]);
}
