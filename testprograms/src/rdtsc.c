/* Reads the time-stamp counter with rdtsc and rdtscp, which no system call reports: the values
 * must increase (as a real counter's do) and the program must run on after each. Prints how many
 * reads were made and whether they increased, never the values, so its output is the same in every
 * run. Usage: rdtsc [READS] */
#include <stdio.h>
#include <stdlib.h>

static unsigned long rdtsc(void) {
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (unsigned long)hi << 32 | lo;
}

static unsigned long rdtscp(unsigned *aux) {
    unsigned lo, hi;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
    return (unsigned long)hi << 32 | lo;
}

int main(int argc, char **argv) {
    int reads = argc > 1 ? atoi(argv[1]) : 10;
    int increasing = 1;
    unsigned aux;
    unsigned long last = rdtsc();
    for (int i = 1; i < reads; i++) {
        unsigned long now = i % 2 ? rdtscp(&aux) : rdtsc();
        increasing &= now > last;
        last = now;
    }
    printf("rdtsc: %d reads, %s\n", reads, increasing ? "increasing" : "NOT increasing");
    return increasing ? 0 : 1;
}
