/* Loads a library with dlopen after start-up and runs its hot loop: `dlopen-host LIB N [threaded]`.
 * "threaded" starts a second thread (which only waits) before the dlopen, so the library arrives
 * while two threads run. Prints the loop's result. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2];

static void *wait_for_main(void *unused) {
    (void)unused;
    char c;
    return read(pipe_fds[0], &c, 1) == 1 ? NULL : NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: dlopen-host LIB N [threaded]\n");
        return 2;
    }
    pthread_t waiter;
    int threaded = argc > 3 && strcmp(argv[3], "threaded") == 0;
    if (threaded && (pipe(pipe_fds) != 0 || pthread_create(&waiter, NULL, wait_for_main, NULL) != 0)) return 2;
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (lib == NULL) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    unsigned long (*mix)(unsigned long) = (unsigned long (*)(unsigned long))dlsym(lib, "mix");
    printf("mix %lx\n", mix(strtoul(argv[2], NULL, 10)));
    if (threaded) {
        if (write(pipe_fds[1], "x", 1) != 1 || pthread_join(waiter, NULL) != 0) return 2;
    }
    return 0;
}
