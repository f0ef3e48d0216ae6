/* A test harness, not part of tracedb-record: answers the effects table's two questions for
 * calls given on stdin, one per line ("number result a0 … a5", decimal), so that a JUnit test can
 * hold the C table against the Java engine's SyscallEffects entry by entry. Prints per line
 * "refused <phrase>", or "wrote" followed by " address+length" for each range, or "memory" when
 * the call's ranges depend on the program's memory (vectors, message headers: the test leaves
 * those to the real-program parity tests). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "effects.h"

int main(void) {
    long number;
    int64_t result;
    uint64_t a[6];
    /* the harness's own pid: a range that needs memory reads this process, where nothing is mapped
     * at the test's addresses, so such a call reports an unreadable address: "memory" */
    struct tracee self = {.pid = getpid(), .alive = 1};
    struct ranges ranges = {0};
    while (scanf("%ld %" SCNd64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &number,
                 &result, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]) == 8) {
        char why[512];
        if (effects_refusal(number, a, why, sizeof why)) {
            printf("refused %s\n", why);
        } else if (effects_written(&self, number, a, result, &ranges) != 0) {
            printf("memory\n");
        } else {
            printf("wrote");
            for (size_t i = 0; i < ranges.count; i++)
                printf(" %" PRIu64 "+%" PRIu64, ranges.items[i].address, ranges.items[i].length);
            printf("\n");
        }
    }
    return 0;
}
