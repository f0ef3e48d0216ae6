/* Exits with the status given as argv[1] (default 42) without printing: a tiny program whose
 * only observable result is its exit code. */
#include <stdlib.h>

int main(int argc, char **argv) {
    return argc > 1 ? atoi(argv[1]) : 42;
}
