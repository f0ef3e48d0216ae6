/* System calls that write into the program's memory, one after another, for the inputs recorder's
 * table of what each writes: readv and preadv over two buffers, pread64, pipe2 and a write/read
 * through it, poll, getdents64, getcwd, uname, readlink, statx, statfs, sysinfo, getrusage,
 * times, clock_getres, nanosleep, sched_getaffinity, prlimit64, ioctl(TIOCGWINSZ) on a non-terminal
 * (fails: nothing written), fork and wait4 for the child's status. Prints only what is the same in
 * every run (file contents, the working directory, the child's status), so a plain run and a
 * recorded one print the same lines. Usage: syscalls FILE (at least 16 bytes) */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) return 3;
    char a[5] = {0}, b[9] = {0}, c[5] = {0};
    struct iovec iov[2] = {{a, 4}, {b, 8}};
    if (readv(fd, iov, 2) != 12) return 4;
    struct iovec iov2[2] = {{c, 4}, {b, 4}};
    if (preadv(fd, iov2, 2, 4) != 8) return 5;
    char d[4] = {0};
    if (pread(fd, d, 3, 0) != 3) return 6;
    printf("readv %s|%s preadv %s pread %s\n", a, b, c, d);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0 || write(fds[1], "piped", 5) != 5) return 7;
    struct pollfd p = {fds[0], POLLIN, 0};
    char piped[6] = {0};
    if (poll(&p, 1, 1000) != 1 || !(p.revents & POLLIN) || read(fds[0], piped, 5) != 5) return 8;
    printf("pipe %s\n", piped);

    char dirents[4096];
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    if (dir < 0 || syscall(SYS_getdents64, dir, dirents, sizeof dirents) <= 0) return 9;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return 10;
    struct utsname names;
    if (uname(&names) != 0) return 11;
    printf("cwd %s system %s\n", cwd, names.sysname);
    char link[256] = {0};
    if (readlink("/proc/self/exe", link, sizeof link - 1) <= 0) return 12;
    struct statx sx;
    struct statfs sf;
    struct sysinfo si;
    struct rusage ru;
    struct tms tm;
    struct timespec res, pause = {0, 1000};
    cpu_set_t cpus;
    struct rlimit files;
    if (statx(AT_FDCWD, argv[1], 0, STATX_SIZE, &sx) != 0 || statfs(argv[1], &sf) != 0 || sysinfo(&si) != 0
        || getrusage(RUSAGE_SELF, &ru) != 0 || times(&tm) == (clock_t)-1 || clock_getres(CLOCK_MONOTONIC, &res) != 0
        || nanosleep(&pause, NULL) != 0 || sched_getaffinity(0, sizeof cpus, &cpus) != 0
        || prlimit(0, RLIMIT_NOFILE, NULL, &files) != 0) return 13;
    struct winsize ws;
    int tty = ioctl(fds[0], TIOCGWINSZ, &ws);
    printf("statx size %llu, tty %d\n", (unsigned long long)sx.stx_size, tty);
    fflush(stdout);

    pid_t child = fork();
    if (child == 0) _exit(5);
    int status;
    if (waitpid(child, &status, 0) != child) return 14;
    printf("child exited %d\n", WEXITSTATUS(status));
    return 0;
}
