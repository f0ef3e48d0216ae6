package dev.tracedb.recorder.inputs;

import static dev.tracedb.machine.linux.SyscallNumber.CLOCK_NANOSLEEP;
import static dev.tracedb.machine.linux.SyscallNumber.CLONE;
import static dev.tracedb.machine.linux.SyscallNumber.CLONE3;
import static dev.tracedb.machine.linux.SyscallNumber.EXECVE;
import static dev.tracedb.machine.linux.SyscallNumber.EXECVEAT;
import static dev.tracedb.machine.linux.SyscallNumber.EXIT;
import static dev.tracedb.machine.linux.SyscallNumber.EXIT_GROUP;
import static dev.tracedb.machine.linux.SyscallNumber.MMAP;
import static dev.tracedb.machine.linux.SyscallNumber.NANOSLEEP;
import static dev.tracedb.machine.linux.SyscallNumber.READ;
import static dev.tracedb.machine.linux.SyscallNumber.RT_SIGACTION;

import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteMemory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which bytes of the program's memory each supported x86-64 system call writes, from its
 * arguments and result: the table the inputs recording runs on. A call that is not in it cannot be
 * recorded (its effects are unknown), and ends the inputs recording ({@link #refusal}).
 *
 * <p>A range may be larger than what the kernel wrote (e.g. a whole {@code struct stat}, a whole
 * {@code pollfd} array) but never smaller: the recorder logs what the range holds right after the
 * call, and the expansion writes it back at the same point of an identical execution, so bytes the
 * kernel left alone are written back unchanged. Only the kernel's side counts: a call that fails
 * (result -4095..-1) writes nothing, except the sleeps, which report the time left on EINTR.
 *
 * <p>Stateless and thread-safe.
 */
final class SyscallEffects {
    /** A range of the program's memory a system call wrote. */
    record Written(long address, long length) {}

    /** How to find the ranges a call wrote; {@code memory} reads pointers and lengths it left there. */
    @FunctionalInterface
    private interface Effect {
        List<Written> ranges(long[] args, long result, RemoteMemory memory);
    }


    private static final long STAT_SIZE = 144;
    private static final long STATX_SIZE = 256;
    private static final long STATFS_SIZE = 120;
    private static final long RUSAGE_SIZE = 144;
    private static final long TIMESPEC_SIZE = 16;
    private static final long KERNEL_SIGACTION_SIZE = 32;
    private static final long STACK_T_SIZE = 24;
    private static final long UTSNAME_SIZE = 6 * 65;
    private static final long SYSINFO_SIZE = 112;
    private static final long TMS_SIZE = 32;
    private static final long RLIMIT_SIZE = 16;
    private static final long ITIMERVAL_SIZE = 32;
    private static final long FLOCK_SIZE = 32;
    private static final long POLLFD_SIZE = 8;
    private static final long EPOLL_EVENT_SIZE = 12;
    private static final long MSGHDR_SIZE = 56;
    /** The kernel's {@code struct termios} (glibc's is 60 bytes, but TCGETS fills the kernel's). */
    private static final long KERNEL_TERMIOS_SIZE = 36;

    private static final long CLONE_PIDFD = 0x1000;
    private static final long CLONE_PARENT_SETTID = 0x100000;

    private static final Map<Integer, Effect> TABLE = new HashMap<>();
    /** ioctl requests by number → bytes written at the third argument (0: none). */
    private static final Map<Long, Long> IOCTLS = Map.of(
            0x5401L, KERNEL_TERMIOS_SIZE, // TCGETS
            0x5402L, 0L, 0x5403L, 0L, 0x5404L, 0L, // TCSETS, TCSETSW, TCSETSF
            0x5413L, 8L, // TIOCGWINSZ
            0x5414L, 0L, // TIOCSWINSZ
            0x541bL, 4L, // FIONREAD
            0x540fL, 4L, // TIOCGPGRP
            0x5421L, 0L, // FIONBIO
            0x5451L, 0L); // FIOCLEX
    /** prctl options by number → bytes written at the second argument (0: none). PR_SET_TSC is ours. */
    private static final Map<Long, Long> PRCTLS = Map.ofEntries(
            Map.entry(1L, 0L), Map.entry(2L, 4L), // PR_SET_PDEATHSIG, PR_GET_PDEATHSIG
            Map.entry(3L, 0L), Map.entry(4L, 0L), // PR_GET_DUMPABLE, PR_SET_DUMPABLE
            Map.entry(15L, 0L), Map.entry(16L, 16L), // PR_SET_NAME, PR_GET_NAME
            Map.entry(23L, 0L), Map.entry(30L, 0L), // PR_CAPBSET_READ, PR_GET_TIMERSLACK
            Map.entry(36L, 0L), Map.entry(38L, 0L), Map.entry(39L, 0L), // CHILD_SUBREAPER, NO_NEW_PRIVS
            Map.entry(42L, 0L), Map.entry(0x53564d41L, 0L)); // PR_GET_THP_DISABLE, PR_SET_VMA
    /** arch_prctl codes → bytes written at the second argument (0: none). */
    private static final Map<Long, Long> ARCH_PRCTLS = Map.of(
            0x1001L, 0L, 0x1002L, 0L, // ARCH_SET_GS, ARCH_SET_FS
            0x1003L, 8L, 0x1004L, 8L, // ARCH_GET_FS, ARCH_GET_GS
            0x1011L, 0L, // ARCH_GET_CPUID
            0x1021L, 8L, 0x1022L, 8L, 0x1023L, 0L, // ARCH_GET_XCOMP_SUPP, _PERM, ARCH_REQ_XCOMP_PERM
            0x3001L, 24L); // ARCH_CET_STATUS
    /** fcntl commands that write a {@code struct flock} or an owner at the third argument. */
    private static final Map<Long, Long> FCNTL_OUTPUTS = Map.of(5L, FLOCK_SIZE, 36L, FLOCK_SIZE, 16L, 8L);

    static {
        // Calls that write nothing into the program's memory: only their result is an input.
        for (int number : new int[] {
            1, 2, 3, 8, 9, 10, 11, 12, 15, 18, 20, 21, 24, 25, 28, 32, 33, 34, 37, 39, 41, 42, 44, 46,
            48, 49, 50, 54, 57, 58, 60, 62, 73, 74, 75, 76, 77, 80, 81, 82, 83, 84, 86, 87, 88, 90,
            91, 92, 93, 94, 95, 102, 104, 105, 106, 107, 108, 109, 110, 111, 112, 121, 124, 130, 132,
            140, 141, 149, 150, 186, 200, 203, 218, 219, 221, 231, 233, 234, 235, 258, 259, 260, 263,
            264, 265, 266, 268, 269, 273, 276, 280, 284, 285, 290, 291, 292, 296, 306, 316, 319,
            257, 324, 334, 436, 437, 439}) {
            TABLE.put(number, none());
        }
        filled(0, 1); // read
        filled(17, 1); // pread64
        TABLE.put(19, (a, r, m) -> vector(a[1], a[2], r, m)); // readv
        TABLE.put(295, (a, r, m) -> vector(a[1], a[2], r, m)); // preadv
        TABLE.put(327, (a, r, m) -> vector(a[1], a[2], r, m)); // preadv2
        TABLE.put(45, (a, r, m) -> join(range(a[1], r), sockaddr(a[4], a[5], m))); // recvfrom
        TABLE.put(47, (a, r, m) -> message(a[1], r, m)); // recvmsg
        TABLE.put(43, (a, r, m) -> sockaddr(a[1], a[2], m)); // accept
        TABLE.put(288, (a, r, m) -> sockaddr(a[1], a[2], m)); // accept4
        TABLE.put(51, (a, r, m) -> sockaddr(a[1], a[2], m)); // getsockname
        TABLE.put(52, (a, r, m) -> sockaddr(a[1], a[2], m)); // getpeername
        TABLE.put(55, (a, r, m) -> sockaddr(a[3], a[4], m)); // getsockopt
        fixed(53, 3, 8); // socketpair
        fixed(40, 2, 8); // sendfile: the input offset moved on
        TABLE.put(275, (a, r, m) -> join(range(a[1], 8), range(a[3], 8))); // splice: both offsets
        TABLE.put(326, (a, r, m) -> join(range(a[1], 8), range(a[3], 8))); // copy_file_range: both offsets
        fixed(4, 1, STAT_SIZE); // stat
        fixed(5, 1, STAT_SIZE); // fstat
        fixed(6, 1, STAT_SIZE); // lstat
        fixed(262, 2, STAT_SIZE); // newfstatat
        fixed(332, 4, STATX_SIZE); // statx
        fixed(137, 1, STATFS_SIZE); // statfs
        fixed(138, 1, STATFS_SIZE); // fstatfs
        filled(78, 1); // getdents
        filled(217, 1); // getdents64
        filled(89, 1); // readlink
        filled(267, 2); // readlinkat
        filled(318, 0); // getrandom
        filled(79, 0); // getcwd (result: the length with its NUL)
        filled(204, 2); // sched_getaffinity
        filled(191, 2); // getxattr
        filled(192, 2); // lgetxattr
        filled(193, 2); // fgetxattr
        filled(194, 1); // listxattr
        filled(195, 1); // llistxattr
        filled(196, 1); // flistxattr
        fixed(228, 1, TIMESPEC_SIZE); // clock_gettime
        fixed(229, 1, TIMESPEC_SIZE); // clock_getres
        TABLE.put(96, (a, r, m) -> join(range(a[0], TIMESPEC_SIZE), range(a[1], 8))); // gettimeofday
        fixed(201, 0, 8); // time
        fixed(63, 0, UTSNAME_SIZE); // uname
        fixed(99, 0, SYSINFO_SIZE); // sysinfo
        fixed(98, 1, RUSAGE_SIZE); // getrusage
        fixed(100, 0, TMS_SIZE); // times
        fixed(97, 1, RLIMIT_SIZE); // getrlimit
        fixed(302, 3, RLIMIT_SIZE); // prlimit64: the old limit
        fixed(22, 0, 8); // pipe
        fixed(293, 0, 8); // pipe2
        fixed(36, 1, ITIMERVAL_SIZE); // getitimer
        fixed(38, 2, ITIMERVAL_SIZE); // setitimer: the old value
        TABLE.put(61, (a, r, m) -> join(range(a[1], 4), range(a[3], RUSAGE_SIZE))); // wait4
        TABLE.put(7, (a, r, m) -> range(a[0], a[1] * POLLFD_SIZE)); // poll
        TABLE.put(271, (a, r, m) -> join(range(a[0], a[1] * POLLFD_SIZE), range(a[2], TIMESPEC_SIZE))); // ppoll
        TABLE.put(23, (a, r, m) -> selected(a, TIMESPEC_SIZE)); // select: timeval left
        TABLE.put(270, (a, r, m) -> selected(a, TIMESPEC_SIZE)); // pselect6: timespec left
        TABLE.put(232, (a, r, m) -> range(a[1], r * EPOLL_EVENT_SIZE)); // epoll_wait
        TABLE.put(281, (a, r, m) -> range(a[1], r * EPOLL_EVENT_SIZE)); // epoll_pwait
        TABLE.put(118, (a, r, m) -> join(join(range(a[0], 4), range(a[1], 4)), range(a[2], 4))); // getresuid
        TABLE.put(120, (a, r, m) -> join(join(range(a[0], 4), range(a[1], 4)), range(a[2], 4))); // getresgid
        TABLE.put(115, (a, r, m) -> range(a[1], a[0] == 0 ? 0 : r * 4)); // getgroups
        TABLE.put(309, (a, r, m) -> join(range(a[0], 4), range(a[1], 4))); // getcpu
        TABLE.put(27, (a, r, m) -> range(a[2], (a[1] + 4095) / 4096)); // mincore
        fixed(13, 2, KERNEL_SIGACTION_SIZE); // rt_sigaction: the old action
        TABLE.put(14, (a, r, m) -> range(a[2], a[3])); // rt_sigprocmask: the old mask
        fixed(131, 1, STACK_T_SIZE); // sigaltstack: the old stack
        fixed(NANOSLEEP, 1, TIMESPEC_SIZE); // nanosleep: the time left
        fixed(CLOCK_NANOSLEEP, 3, TIMESPEC_SIZE); // clock_nanosleep: the time left
        TABLE.put(16, (a, r, m) -> range(a[2], IOCTLS.getOrDefault(a[1], 0L))); // ioctl
        TABLE.put(72, (a, r, m) -> range(a[2], FCNTL_OUTPUTS.getOrDefault(a[1], 0L))); // fcntl
        TABLE.put(157, (a, r, m) -> range(a[1], PRCTLS.getOrDefault(a[0], 0L))); // prctl
        TABLE.put(158, (a, r, m) -> range(a[1], ARCH_PRCTLS.getOrDefault(a[0], 0L))); // arch_prctl
        TABLE.put(202, (a, r, m) -> (a[1] & 0x7f) == 5 ? range(a[4], 4) : List.of()); // futex: WAKE_OP
        TABLE.put(CLONE, (a, r, m) -> join((a[0] & CLONE_PARENT_SETTID) != 0 ? range(a[2], 4) : List.of(),
                (a[0] & CLONE_PIDFD) != 0 ? range(a[2], 4) : List.of()));
        TABLE.put(CLONE3, SyscallEffects::clone3);
        TABLE.put(EXECVE, none());
        TABLE.put(EXECVEAT, none());
    }

    private SyscallEffects() {}

    /**
     * Why the call {@code number} with {@code args} cannot be recorded (one phrase for the user), or
     * null if the table knows what it writes. Threads and shared file mappings are the engine's to refuse.
     */
    static String refusal(long number, long[] args) {
        if (number < 0 || number > Integer.MAX_VALUE || !TABLE.containsKey((int) number)) {
            String name = SyscallNames.of(number);
            return name.startsWith("syscall ") ? "unsupported " + name : "unsupported syscall '" + name + "'";
        }
        return switch ((int) number) {
            case 16 -> IOCTLS.containsKey(args[1]) ? null : "unsupported ioctl request 0x" + Long.toHexString(args[1]);
            case 157 -> PRCTLS.containsKey(args[0]) ? null : "unsupported prctl option " + args[0];
            case 158 -> ARCH_PRCTLS.containsKey(args[0]) ? null : "unsupported arch_prctl code 0x" + Long.toHexString(args[0]);
            default -> null;
        };
    }

    /**
     * The ranges the supported call {@code number} wrote, read from its arguments, its result and
     * (for vectors and message headers) the program's memory right after it.
     */
    static List<Written> written(int number, long[] args, long result, RemoteMemory memory) {
        boolean failed = result < 0 && result >= -4095;
        if (failed && number != NANOSLEEP && number != CLOCK_NANOSLEEP) {
            return List.of();
        }
        Effect effect = TABLE.get(number);
        if (effect == null) {
            throw new IllegalArgumentException("syscall " + number + " is not in the table");
        }
        return effect.ranges(args, result, memory);
    }

    private static Effect none() {
        return (a, r, m) -> List.of();
    }

    /** The argument {@code pointer} points at a buffer the call filled with {@code result} bytes. */
    private static void filled(int number, int pointer) {
        TABLE.put(number, (a, r, m) -> range(a[pointer], r));
    }

    /** The argument {@code pointer}, if not null, points at a structure of {@code size} bytes the call filled. */
    private static void fixed(int number, int pointer, long size) {
        TABLE.put(number, (a, r, m) -> range(a[pointer], size));
    }

    private static List<Written> range(long address, long length) {
        return address == 0 || length <= 0 ? List.of() : List.of(new Written(address, length));
    }

    private static List<Written> join(List<Written> a, List<Written> b) {
        if (a.isEmpty()) {
            return b;
        }
        if (b.isEmpty()) {
            return a;
        }
        List<Written> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** {@code total} bytes spread over the {@code count} iovecs at {@code iov}, in order. */
    private static List<Written> vector(long iov, long count, long total, RemoteMemory memory) {
        List<Written> ranges = new ArrayList<>();
        long left = total;
        for (long i = 0; i < count && left > 0; i++) {
            long base = memory.readLong(RemoteAddress.of(iov + i * 16));
            long length = Math.min(memory.readLong(RemoteAddress.of(iov + i * 16 + 8)), left);
            ranges.addAll(range(base, length));
            left -= length;
        }
        return ranges;
    }

    /** An address the call filled and the {@code socklen_t} it set to the address's real length. */
    private static List<Written> sockaddr(long address, long lengthPointer, RemoteMemory memory) {
        if (lengthPointer == 0) {
            return List.of();
        }
        int length = readInt(memory, lengthPointer);
        return join(range(lengthPointer, 4), range(address, Math.max(length, 0)));
    }

    /** recvmsg: the header (lengths and flags updated), the name, the data over the iovecs, the control data. */
    private static List<Written> message(long header, long result, RemoteMemory memory) {
        long name = memory.readLong(RemoteAddress.of(header));
        int nameLength = readInt(memory, header + 8);
        long iov = memory.readLong(RemoteAddress.of(header + 16));
        long iovCount = memory.readLong(RemoteAddress.of(header + 24));
        long control = memory.readLong(RemoteAddress.of(header + 32));
        long controlLength = memory.readLong(RemoteAddress.of(header + 40));
        List<Written> ranges = new ArrayList<>(range(header, MSGHDR_SIZE));
        ranges.addAll(range(name, nameLength));
        ranges.addAll(vector(iov, iovCount, result, memory));
        ranges.addAll(range(control, controlLength));
        return ranges;
    }

    /** select/pselect6: the three fd sets (nfds bits each, in longs) and the time left. */
    private static List<Written> selected(long[] args, long timeSize) {
        long setBytes = (args[0] + 63) / 64 * 8;
        List<Written> ranges = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ranges.addAll(range(args[i], setBytes));
        }
        ranges.addAll(range(args[4], timeSize));
        return ranges;
    }

    /** clone3: the parent's tid and the pidfd, where {@code struct clone_args} asks for them. */
    private static List<Written> clone3(long[] args, long result, RemoteMemory memory) {
        long flags = memory.readLong(RemoteAddress.of(args[0]));
        List<Written> ranges = new ArrayList<>();
        if ((flags & CLONE_PIDFD) != 0) {
            ranges.addAll(range(memory.readLong(RemoteAddress.of(args[0] + 8)), 4));
        }
        if ((flags & CLONE_PARENT_SETTID) != 0) {
            ranges.addAll(range(memory.readLong(RemoteAddress.of(args[0] + 24)), 4));
        }
        return ranges;
    }

    private static int readInt(RemoteMemory memory, long address) {
        byte[] b = memory.read(RemoteAddress.of(address), 4);
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }
}
