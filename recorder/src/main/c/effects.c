/* The syscall effects table. A range may be larger than what the kernel wrote (a whole struct
 * stat, a whole pollfd array) but never smaller: the recorder logs what the range holds right
 * after the call, and the expansion writes it back at the same point of an identical execution,
 * so bytes the kernel left alone are written back unchanged. A call that fails (result
 * -4095..-1) writes nothing, except the sleeps, which report the time left on EINTR.
 * Every entry must stay equal to the Java engine's SyscallEffects: the parity tests compare logs. */
#include "effects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[] = {
#include "syscall-names.h"
};
#define NAME_COUNT ((long) (sizeof NAMES / sizeof *NAMES))

const char *syscall_name(long number) {
    return number >= 0 && number < NAME_COUNT ? NAMES[number] : NULL;
}

const char *syscall_label(long number, char *buf, size_t size) {
    const char *name = syscall_name(number);
    if (name) return name;
    snprintf(buf, size, "syscall %ld", number);
    return buf;
}

enum { STAT_SIZE = 144, STATX_SIZE = 256, STATFS_SIZE = 120, RUSAGE_SIZE = 144, TIMESPEC_SIZE = 16,
       KERNEL_SIGACTION_SIZE = 32, STACK_T_SIZE = 24, UTSNAME_SIZE = 6 * 65, SYSINFO_SIZE = 112,
       TMS_SIZE = 32, RLIMIT_SIZE = 16, ITIMERVAL_SIZE = 32, FLOCK_SIZE = 32, POLLFD_SIZE = 8,
       EPOLL_EVENT_SIZE = 12, MSGHDR_SIZE = 56,
       /* the kernel's struct termios (glibc's is 60 bytes, but TCGETS fills the kernel's) */
       KERNEL_TERMIOS_SIZE = 36 };
#define CLONE_PIDFD 0x1000
#define CLONE_PARENT_SETTID 0x100000

/* request/option/code → bytes written at the pointer argument (0: none). */
struct sized { uint64_t key; int64_t size; };

static const struct sized IOCTLS[] = {
    {0x5401, KERNEL_TERMIOS_SIZE}, /* TCGETS */
    {0x5402, 0}, {0x5403, 0}, {0x5404, 0}, /* TCSETS, TCSETSW, TCSETSF */
    {0x5413, 8}, /* TIOCGWINSZ */
    {0x5414, 0}, /* TIOCSWINSZ */
    {0x541b, 4}, /* FIONREAD */
    {0x540f, 4}, /* TIOCGPGRP */
    {0x5421, 0}, /* FIONBIO */
    {0x5451, 0}, /* FIOCLEX */
};
/* PR_SET_TSC (26) is not here: it belongs to the recorder. */
static const struct sized PRCTLS[] = {
    {1, 0}, {2, 4}, /* PR_SET_PDEATHSIG, PR_GET_PDEATHSIG */
    {3, 0}, {4, 0}, /* PR_GET_DUMPABLE, PR_SET_DUMPABLE */
    {15, 0}, {16, 16}, /* PR_SET_NAME, PR_GET_NAME */
    {23, 0}, {30, 0}, /* PR_CAPBSET_READ, PR_GET_TIMERSLACK */
    {36, 0}, {38, 0}, {39, 0}, /* CHILD_SUBREAPER, NO_NEW_PRIVS */
    {42, 0}, {0x53564d41, 0}, /* PR_GET_THP_DISABLE, PR_SET_VMA */
};
static const struct sized ARCH_PRCTLS[] = {
    {0x1001, 0}, {0x1002, 0}, /* ARCH_SET_GS, ARCH_SET_FS */
    {0x1003, 8}, {0x1004, 8}, /* ARCH_GET_FS, ARCH_GET_GS */
    {0x1011, 0}, /* ARCH_GET_CPUID */
    {0x1021, 8}, {0x1022, 8}, {0x1023, 0}, /* ARCH_GET_XCOMP_SUPP, _PERM, ARCH_REQ_XCOMP_PERM */
    {0x3001, 24}, /* ARCH_CET_STATUS */
};
/* fcntl commands that write a struct flock or an owner at the third argument. */
static const struct sized FCNTL_OUTPUTS[] = {{5, FLOCK_SIZE}, {36, FLOCK_SIZE}, {16, 8}};

#define COUNT(a) (sizeof a / sizeof *a)

static const struct sized *find(const struct sized *table, size_t n, uint64_t key) {
    for (size_t i = 0; i < n; i++)
        if (table[i].key == key) return &table[i];
    return NULL;
}

static int64_t size_of(const struct sized *table, size_t n, uint64_t key) {
    const struct sized *s = find(table, n, key);
    return s ? s->size : 0;
}

/* ---------------------------------------------------------------- the ranges */

static void range(struct ranges *out, uint64_t address, int64_t length) {
    if (address == 0 || length <= 0) return;
    if (out->count == out->capacity) {
        out->capacity = out->capacity ? out->capacity * 2 : 8;
        out->items = realloc(out->items, out->capacity * sizeof *out->items);
        if (!out->items) abort();
    }
    out->items[out->count++] = (struct range) {address, (uint64_t) length};
}

static int read_i64(const struct tracee *t, uint64_t address, int64_t *v) {
    return tracee_read(t, address, v, 8) == 8 ? 0 : -1;
}

static int read_i32(const struct tracee *t, uint64_t address, int32_t *v) {
    return tracee_read(t, address, v, 4) == 4 ? 0 : -1;
}

typedef int custom_fn(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out);

/* total bytes spread over the count iovecs at iov, in order */
static int vector(const struct tracee *t, uint64_t iov, int64_t count, int64_t total, struct ranges *out) {
    int64_t left = total;
    for (int64_t i = 0; i < count && left > 0; i++) {
        int64_t base, length;
        if (read_i64(t, iov + (uint64_t) i * 16, &base) || read_i64(t, iov + (uint64_t) i * 16 + 8, &length)) return -1;
        if (length > left) length = left;
        range(out, (uint64_t) base, length);
        left -= length;
    }
    return 0;
}

/* an address the call filled and the socklen_t it set to the address's real length */
static int sockaddr(const struct tracee *t, uint64_t address, uint64_t length_at, struct ranges *out) {
    if (length_at == 0) return 0;
    int32_t length;
    if (read_i32(t, length_at, &length)) return -1;
    range(out, length_at, 4);
    range(out, address, length > 0 ? length : 0);
    return 0;
}

static int readv_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    return vector(t, a[1], (int64_t) a[2], r, out);
}
static int recvfrom_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    range(out, a[1], r);
    return sockaddr(t, a[4], a[5], out);
}
/* recvmsg: the header (lengths and flags updated), the name, the data over the iovecs, the control data */
static int recvmsg_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    uint64_t h = a[1];
    int64_t name, iov, iov_count, control, control_length;
    int32_t name_length;
    if (read_i64(t, h, &name) || read_i32(t, h + 8, &name_length) || read_i64(t, h + 16, &iov)
        || read_i64(t, h + 24, &iov_count) || read_i64(t, h + 32, &control) || read_i64(t, h + 40, &control_length))
        return -1;
    range(out, h, MSGHDR_SIZE);
    range(out, (uint64_t) name, name_length);
    if (vector(t, (uint64_t) iov, iov_count, r, out)) return -1;
    range(out, (uint64_t) control, control_length);
    return 0;
}
static int accept_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) r;
    return sockaddr(t, a[1], a[2], out);
}
static int getsockopt_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) r;
    return sockaddr(t, a[3], a[4], out);
}
/* splice, copy_file_range: both offsets */
static int two_offsets(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[1], 8);
    range(out, a[3], 8);
    return 0;
}
static int gettimeofday_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[0], TIMESPEC_SIZE);
    range(out, a[1], 8);
    return 0;
}
static int wait4_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[1], 4);
    range(out, a[3], RUSAGE_SIZE);
    return 0;
}
static int poll_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[0], (int64_t) a[1] * POLLFD_SIZE);
    return 0;
}
static int ppoll_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[0], (int64_t) a[1] * POLLFD_SIZE);
    range(out, a[2], TIMESPEC_SIZE);
    return 0;
}
/* select, pselect6: the three fd sets (nfds bits each, in longs) and the time left */
static int select_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    int64_t set_bytes = ((int64_t) a[0] + 63) / 64 * 8;
    for (int i = 1; i <= 3; i++) range(out, a[i], set_bytes);
    range(out, a[4], TIMESPEC_SIZE);
    return 0;
}
static int epoll_wait_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t;
    range(out, a[1], r * EPOLL_EVENT_SIZE);
    return 0;
}
/* getresuid, getresgid */
static int three_ids(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    for (int i = 0; i < 3; i++) range(out, a[i], 4);
    return 0;
}
static int getgroups_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t;
    range(out, a[1], a[0] == 0 ? 0 : r * 4);
    return 0;
}
static int getcpu_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[0], 4);
    range(out, a[1], 4);
    return 0;
}
static int mincore_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[2], ((int64_t) a[1] + 4095) / 4096);
    return 0;
}
static int rt_sigprocmask_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[2], (int64_t) a[3]);
    return 0;
}
static int ioctl_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[2], size_of(IOCTLS, COUNT(IOCTLS), a[1]));
    return 0;
}
static int fcntl_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[2], size_of(FCNTL_OUTPUTS, COUNT(FCNTL_OUTPUTS), a[1]));
    return 0;
}
static int prctl_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[1], size_of(PRCTLS, COUNT(PRCTLS), a[0]));
    return 0;
}
static int arch_prctl_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    range(out, a[1], size_of(ARCH_PRCTLS, COUNT(ARCH_PRCTLS), a[0]));
    return 0;
}
/* futex: FUTEX_WAKE_OP writes the second futex word */
static int futex_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    if ((a[1] & 0x7f) == 5) range(out, a[4], 4);
    return 0;
}
/* clone: the parent's tid, the pidfd (both at the third argument) */
static int clone_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) t; (void) r;
    if (a[0] & CLONE_PARENT_SETTID) range(out, a[2], 4);
    if (a[0] & CLONE_PIDFD) range(out, a[2], 4);
    return 0;
}
/* clone3: the pidfd and the parent's tid, where struct clone_args asks for them */
static int clone3_(const struct tracee *t, const uint64_t *a, int64_t r, struct ranges *out) {
    (void) r;
    int64_t flags, at;
    if (read_i64(t, a[0], &flags)) return -1;
    if (flags & CLONE_PIDFD) {
        if (read_i64(t, a[0] + 8, &at)) return -1;
        range(out, (uint64_t) at, 4);
    }
    if (flags & CLONE_PARENT_SETTID) {
        if (read_i64(t, a[0] + 24, &at)) return -1;
        range(out, (uint64_t) at, 4);
    }
    return 0;
}

/* ---------------------------------------------------------------- the table */

enum kind {
    UNKNOWN = 0, /* not in the table: the recording cannot follow the call */
    NONE,        /* writes nothing into the program's memory: only its result is an input */
    FILLED,      /* the argument `pointer` points at a buffer the call filled with `result` bytes */
    FIXED,       /* the argument `pointer`, if not null, points at a struct of `size` bytes the call filled */
    CUSTOM,      /* `custom` finds the ranges */
};

struct effect {
    enum kind kind;
    int pointer;
    int64_t size;
    custom_fn *custom;
};

#define N {NONE, 0, 0, NULL}
#define FILL(p) {FILLED, p, 0, NULL}
#define FIX(p, s) {FIXED, p, s, NULL}
#define RUN(f) {CUSTOM, 0, 0, f}

static const struct effect TABLE[] = {
    [0] = FILL(1), /* read */
    [1] = N, [2] = N, [3] = N, /* write, open, close */
    [4] = FIX(1, STAT_SIZE), /* stat */
    [5] = FIX(1, STAT_SIZE), /* fstat */
    [6] = FIX(1, STAT_SIZE), /* lstat */
    [7] = RUN(poll_),
    [8] = N, [9] = N, [10] = N, [11] = N, [12] = N, /* lseek, mmap, mprotect, munmap, brk */
    [13] = FIX(2, KERNEL_SIGACTION_SIZE), /* rt_sigaction: the old action */
    [14] = RUN(rt_sigprocmask_), /* the old mask */
    [15] = N, /* rt_sigreturn */
    [16] = RUN(ioctl_),
    [17] = FILL(1), /* pread64 */
    [18] = N, /* pwrite64 */
    [19] = RUN(readv_),
    [20] = N, [21] = N, /* writev, access */
    [22] = FIX(0, 8), /* pipe */
    [23] = RUN(select_), /* timeval left */
    [24] = N, [25] = N, /* sched_yield, mremap */
    [27] = RUN(mincore_),
    [28] = N, /* madvise */
    [32] = N, [33] = N, [34] = N, /* dup, dup2, pause */
    [35] = FIX(1, TIMESPEC_SIZE), /* nanosleep: the time left */
    [36] = FIX(1, ITIMERVAL_SIZE), /* getitimer */
    [37] = N, /* alarm */
    [38] = FIX(2, ITIMERVAL_SIZE), /* setitimer: the old value */
    [39] = N, /* getpid */
    [40] = FIX(2, 8), /* sendfile: the input offset moved on */
    [41] = N, [42] = N, /* socket, connect */
    [43] = RUN(accept_),
    [44] = N, /* sendto */
    [45] = RUN(recvfrom_),
    [46] = N, /* sendmsg */
    [47] = RUN(recvmsg_),
    [48] = N, [49] = N, [50] = N, /* shutdown, bind, listen */
    [51] = RUN(accept_), [52] = RUN(accept_), /* getsockname, getpeername */
    [53] = FIX(3, 8), /* socketpair */
    [54] = N, /* setsockopt */
    [55] = RUN(getsockopt_),
    [56] = RUN(clone_),
    [57] = N, [58] = N, [59] = N, [60] = N, /* fork, vfork, execve, exit */
    [61] = RUN(wait4_),
    [62] = N, /* kill */
    [63] = FIX(0, UTSNAME_SIZE), /* uname */
    [72] = RUN(fcntl_),
    [73] = N, [74] = N, [75] = N, [76] = N, [77] = N, /* flock, fsync, fdatasync, truncate, ftruncate */
    [78] = FILL(1), /* getdents */
    [79] = FILL(0), /* getcwd (result: the length with its NUL) */
    [80] = N, [81] = N, [82] = N, [83] = N, [84] = N, /* chdir, fchdir, rename, mkdir, rmdir */
    [86] = N, [87] = N, [88] = N, /* link, unlink, symlink */
    [89] = FILL(1), /* readlink */
    [90] = N, [91] = N, [92] = N, [93] = N, [94] = N, [95] = N, /* chmod … umask */
    [96] = RUN(gettimeofday_),
    [97] = FIX(1, RLIMIT_SIZE), /* getrlimit */
    [98] = FIX(1, RUSAGE_SIZE), /* getrusage */
    [99] = FIX(0, SYSINFO_SIZE), /* sysinfo */
    [100] = FIX(0, TMS_SIZE), /* times */
    [102] = N, [104] = N, [105] = N, [106] = N, [107] = N, [108] = N, /* getuid … getegid */
    [109] = N, [110] = N, [111] = N, [112] = N, /* setpgid, getppid, getpgrp, setsid */
    [115] = RUN(getgroups_),
    [118] = RUN(three_ids), /* getresuid */
    [120] = RUN(three_ids), /* getresgid */
    [121] = N, [124] = N, [130] = N, [132] = N, /* getpgid, getsid, rt_sigsuspend, utime */
    [131] = FIX(1, STACK_T_SIZE), /* sigaltstack: the old stack */
    [137] = FIX(1, STATFS_SIZE), /* statfs */
    [138] = FIX(1, STATFS_SIZE), /* fstatfs */
    [140] = N, [141] = N, [149] = N, [150] = N, /* getpriority, setpriority, mlock, munlock */
    [157] = RUN(prctl_),
    [158] = RUN(arch_prctl_),
    [186] = N, /* gettid */
    [191] = FILL(2), [192] = FILL(2), [193] = FILL(2), /* getxattr, lgetxattr, fgetxattr */
    [194] = FILL(1), [195] = FILL(1), [196] = FILL(1), /* listxattr, llistxattr, flistxattr */
    [200] = N, /* tkill */
    [201] = FIX(0, 8), /* time */
    [202] = RUN(futex_),
    [203] = N, /* sched_setaffinity */
    [204] = FILL(2), /* sched_getaffinity */
    [217] = FILL(1), /* getdents64 */
    [218] = N, [219] = N, [221] = N, /* set_tid_address, restart_syscall, fadvise64 */
    [228] = FIX(1, TIMESPEC_SIZE), /* clock_gettime */
    [229] = FIX(1, TIMESPEC_SIZE), /* clock_getres */
    [230] = FIX(3, TIMESPEC_SIZE), /* clock_nanosleep: the time left */
    [231] = N, /* exit_group */
    [232] = RUN(epoll_wait_),
    [233] = N, [234] = N, [235] = N, /* epoll_ctl, tgkill, utimes */
    [257] = N, [258] = N, [259] = N, [260] = N, /* openat, mkdirat, mknodat, fchownat */
    [262] = FIX(2, STAT_SIZE), /* newfstatat */
    [263] = N, [264] = N, [265] = N, [266] = N, [268] = N, [269] = N, /* unlinkat … faccessat */
    [267] = FILL(2), /* readlinkat */
    [270] = RUN(select_), /* pselect6: timespec left */
    [271] = RUN(ppoll_),
    [273] = N, [276] = N, [280] = N, [284] = N, [285] = N, /* set_robust_list, tee, utimensat, eventfd, fallocate */
    [275] = RUN(two_offsets), /* splice */
    [281] = RUN(epoll_wait_), /* epoll_pwait */
    [288] = RUN(accept_), /* accept4 */
    [290] = N, [291] = N, [292] = N, [296] = N, /* eventfd2, epoll_create1, dup3, pwritev */
    [293] = FIX(0, 8), /* pipe2 */
    [295] = RUN(readv_), /* preadv */
    [302] = FIX(3, RLIMIT_SIZE), /* prlimit64: the old limit */
    [306] = N, [316] = N, [319] = N, /* syncfs, renameat2, memfd_create */
    [309] = RUN(getcpu_),
    [318] = FILL(0), /* getrandom */
    [322] = N, /* execveat */
    [324] = N, /* membarrier */
    [326] = RUN(two_offsets), /* copy_file_range */
    [327] = RUN(readv_), /* preadv2 */
    [332] = FIX(4, STATX_SIZE), /* statx */
    [334] = N, /* rseq */
    [435] = RUN(clone3_),
    [436] = N, [437] = N, [439] = N, /* close_range, openat2, faccessat2 */
};
#define TABLE_SIZE ((long) COUNT(TABLE))

static const struct effect *effect_of(long number) {
    return number >= 0 && number < TABLE_SIZE && TABLE[number].kind != UNKNOWN ? &TABLE[number] : NULL;
}

int effects_refusal(long number, const uint64_t args[6], char *why, size_t size) {
    if (!effect_of(number)) {
        const char *name = syscall_name(number);
        if (name) snprintf(why, size, "unsupported syscall '%s'", name);
        else snprintf(why, size, "unsupported syscall %ld", number);
        return 1;
    }
    if (number == 16 && !find(IOCTLS, COUNT(IOCTLS), args[1])) {
        snprintf(why, size, "unsupported ioctl request 0x%llx", (unsigned long long) args[1]);
        return 1;
    }
    if (number == 157 && !find(PRCTLS, COUNT(PRCTLS), args[0])) {
        snprintf(why, size, "unsupported prctl option %lld", (long long) args[0]);
        return 1;
    }
    if (number == 158 && !find(ARCH_PRCTLS, COUNT(ARCH_PRCTLS), args[0])) {
        snprintf(why, size, "unsupported arch_prctl code 0x%llx", (unsigned long long) args[0]);
        return 1;
    }
    return 0;
}

int effects_written(const struct tracee *t, long number, const uint64_t args[6], int64_t result, struct ranges *out) {
    out->count = 0;
    int failed = result < 0 && result >= -4095;
    if (failed && number != 35 && number != 230) return 0; /* the sleeps report the time left on EINTR */
    const struct effect *e = effect_of(number);
    if (!e) return 0;
    switch (e->kind) {
    case FILLED: range(out, args[e->pointer], result); return 0;
    case FIXED: range(out, args[e->pointer], e->size); return 0;
    case CUSTOM: return e->custom(t, args, result, out);
    default: return 0;
    }
}
