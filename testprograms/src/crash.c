/* Writes through a null pointer and dies of SIGSEGV. The pointer is computed from argc so the
 * compiler cannot see it is null and replace the store with a trap instruction (SIGILL). */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    volatile int *p = (volatile int *)(long)(argc - 1);
    fputs("crash: writing to NULL\n", stderr);
    *p = 1;
    puts("not reached");
    return 0;
}
