/* Reads the file named by argv[1] as a program's inputs arrive: open, fstat, read in small chunks
 * (so several reads, the last one short), stat of the same path, then a clock and getrandom, whose
 * values change from run to run but only feed a check that cannot fail. Prints the file's size
 * and a checksum: an input replayed wrongly shows up as a different line. "inputs FILE unsupported"
 * first makes a system call the inputs recorder does not know (io_uring_setup with bad arguments,
 * which fails harmlessly), then reads the file the same way; "inputs FILE shared" first maps the
 * file shared and writable (which the inputs recorder does not follow either) and counts its
 * bytes through the mapping. Usage: inputs FILE [unsupported|shared] */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (argc > 2 && strcmp(argv[2], "unsupported") == 0) {
        long r = syscall(SYS_io_uring_setup, 0, NULL);
        printf("io_uring_setup(0, NULL) %s\n", r < 0 ? "failed" : "succeeded");
    }
    int shared = argc > 2 && strcmp(argv[2], "shared") == 0;
    int fd = open(argv[1], shared ? O_RDWR : O_RDONLY);
    if (fd < 0) return 3;
    struct stat st;
    if (fstat(fd, &st) != 0) return 4;
    if (shared) {
        unsigned char *map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) return 8;
        unsigned long newlines = 0;
        for (off_t i = 0; i < st.st_size; i++) newlines += map[i] == '\n';
        printf("mapped shared: %lu lines\n", newlines);
        munmap(map, (size_t)st.st_size);
    }
    unsigned long sum = 0, total = 0;
    char buf[1000];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)buf[i];
        total += (unsigned long)n;
    }
    close(fd);
    struct stat again;
    if (stat(argv[1], &again) != 0 || again.st_size != st.st_size) return 5;
    struct timespec now;
    unsigned char random[8];
    if (clock_gettime(CLOCK_REALTIME, &now) != 0 || getrandom(random, sizeof random, 0) != sizeof random) return 6;
    printf("inputs %s: %lu bytes (fstat %ld) sum %lu\n", argv[1], total, (long)st.st_size, sum);
    return now.tv_sec > 0 ? 0 : 7;
}
