package dev.tracedb.machine.linux;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

/**
 * Direct-mapped ({@link Native#register}) glibc functions for process control.
 *
 * <p>Direct mapping costs ~57 ns per call against ~300 ns for interface mapping (STACK.md), which
 * matters on the single-step path. Functions that fail with {@code -1} leave the reason in errno;
 * read it with {@link #errno()} immediately after the call, on the same thread (JNA saves errno
 * per thread after every native call). {@code posix_spawn*} return the error number instead.
 *
 * <p>glibc's {@code ptrace} is variadic, but on x86-64 the variadic and fixed calling conventions
 * agree for four integer arguments, so it maps as {@code long ptrace(long, int, long, long)}.
 */
final class LibC {
    static {
        Native.register("c");
    }

    private LibC() {}

    // ptrace requests (linux/ptrace.h, asm/ptrace-abi.h)
    static final long PTRACE_CONT = 7;
    static final long PTRACE_SINGLESTEP = 9;
    static final long PTRACE_GETREGS = 12;
    static final long PTRACE_SETREGS = 13;
    static final long PTRACE_DETACH = 17;
    static final long PTRACE_SYSCALL = 24;
    static final long PTRACE_SETOPTIONS = 0x4200;
    static final long PTRACE_GETEVENTMSG = 0x4201;
    static final long PTRACE_GETSIGINFO = 0x4202;
    static final long PTRACE_SETSIGINFO = 0x4203;
    static final long PTRACE_SEIZE = 0x4206;
    static final long PTRACE_INTERRUPT = 0x4207;
    static final long PTRACE_GETSIGMASK = 0x420a;
    static final long PTRACE_SETSIGMASK = 0x420b;
    /** The kernel's sigset_t, which PTRACE_GETSIGMASK/SETSIGMASK take (not glibc's 128 bytes). */
    static final int KERNEL_SIGSET_SIZE = 8;

    // waitpid options
    static final int WNOHANG = 1;
    static final int WUNTRACED = 2;
    static final int __WALL = 0x40000000;

    // personality(2)
    static final int ADDR_NO_RANDOMIZE = 0x0040000;
    static final int PERSONALITY_QUERY = 0xffffffff;

    // posix_spawnattr_setflags
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;

    // open(2) flags
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_TRUNC = 01000;
    static final int O_CLOEXEC = 02000000;

    // Sizes of opaque glibc types on x86-64, rounded up: the real sizes are 80, 336 and 128.
    static final int FILE_ACTIONS_SIZE = 128;
    static final int SPAWNATTR_SIZE = 512;
    static final int SIGSET_SIZE = 128;
    static final int SIGINFO_SIZE = 128;

    static final int ESRCH = 3;
    static final int EINTR = 4;

    static native long ptrace(long request, int pid, long addr, long data);

    static native int waitpid(int pid, int[] status, int options);

    static native int kill(int pid, int signal);

    static native int personality(int persona);

    static native int sched_setaffinity(int pid, long cpusetsize, long[] mask);

    static native long process_vm_readv(int pid, Pointer localIov, long liovcnt, Pointer remoteIov,
                                        long riovcnt, long flags);

    static native long process_vm_writev(int pid, Pointer localIov, long liovcnt, Pointer remoteIov,
                                         long riovcnt, long flags);

    static native int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr,
                                  StringArray argv, StringArray envp);

    static native int posix_spawn_file_actions_init(Pointer fileActions);

    static native int posix_spawn_file_actions_destroy(Pointer fileActions);

    static native int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path,
                                                       int flags, int mode);

    static native int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int from);

    static native int posix_spawnattr_init(Pointer attr);

    static native int posix_spawnattr_destroy(Pointer attr);

    static native int posix_spawnattr_setflags(Pointer attr, short flags);

    static native int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

    static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

    static native int sigemptyset(Pointer sigset);

    static native int sigfillset(Pointer sigset);

    static native String strerror(int errno);

    /** errno of the last native call on this thread. */
    static int errno() {
        return Native.getLastError();
    }

    /** A {@link ErrnoException} for the last failed call on this thread. */
    static ErrnoException failure(String call) {
        return new ErrnoException(call, errno());
    }
}
