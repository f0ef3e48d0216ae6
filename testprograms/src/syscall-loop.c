/* A hot loop with a system call in its body: trace selection must end every trace before the
 * block that makes the system call. The straight-line mixing before the call makes the path up
 * to it long enough to be worth a trace. Prints a checksum, so a wrong execution shows up. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
    unsigned long sum = 0;
    for (unsigned i = 0; i < rounds; i++) {
        for (unsigned j = 0; j < 20; j++) sum += (i * j) ^ (sum >> 3);
        sum = sum * 2654435761u + (sum >> 7);
        sum ^= (sum << 13) + i;
        sum = sum * 40503u + (sum >> 11);
        sum ^= (sum << 5) + (sum >> 17);
        sum = sum * 2246822519u + (sum >> 13);
        sum ^= (sum << 7) + (sum >> 23);
        sum += (unsigned long)syscall(SYS_getuid);
    }
    printf("syscall-loop %u sum %lu\n", rounds, sum);
    return 0;
}
