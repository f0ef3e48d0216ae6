package dev.tracedb.machine.linux;

/**
 * x86-64 Linux system call numbers ({@code asm/unistd_64.h}) that this package injects, and those the
 * recorders treat specially (the inputs engine, the expansion, child processes and exec).
 */
public final class SyscallNumber {
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int OPEN = 2;
    public static final int CLOSE = 3;
    public static final int MMAP = 9;
    public static final int MPROTECT = 10;
    public static final int MUNMAP = 11;
    public static final int BRK = 12;
    public static final int RT_SIGACTION = 13;
    public static final int RT_SIGRETURN = 15;
    public static final int PWRITE64 = 18;
    public static final int WRITEV = 20;
    public static final int MREMAP = 25;
    public static final int NANOSLEEP = 35;
    public static final int GETPID = 39;
    public static final int SENDFILE = 40;
    public static final int CLONE = 56;
    public static final int FORK = 57;
    public static final int VFORK = 58;
    public static final int EXECVE = 59;
    public static final int EXIT = 60;
    public static final int KILL = 62;
    public static final int CHDIR = 80;
    public static final int PERSONALITY = 135;
    public static final int PRCTL = 157;
    public static final int SET_TID_ADDRESS = 218;
    public static final int RESTART_SYSCALL = 219;
    public static final int CLOCK_NANOSLEEP = 230;
    public static final int EXIT_GROUP = 231;
    public static final int OPENAT = 257;
    public static final int SPLICE = 275;
    public static final int PWRITEV = 296;
    public static final int EXECVEAT = 322;
    public static final int COPY_FILE_RANGE = 326;
    public static final int PWRITEV2 = 328;
    public static final int PKEY_MPROTECT = 329;
    public static final int CLONE3 = 435;

    private SyscallNumber() {}
}
