package dev.tracedb.recorder.step;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;

/** x86-64 Linux system call numbers and argument registers, as far as the step engine cares. */
final class Syscalls {
    static final int MMAP = 9;
    static final int MPROTECT = 10;
    static final int MUNMAP = 11;
    static final int MREMAP = 25;
    static final int EXIT = 60;
    static final int EXIT_GROUP = 231;

    /** Kernel-internal results of a syscall interrupted by a signal, which the kernel may restart. */
    static final long ERESTARTSYS = -512;
    static final long ERESTARTNOINTR = -513;
    static final long ERESTARTNOHAND = -514;
    static final long ERESTART_RESTARTBLOCK = -516;

    private static final Register[] ARGUMENTS = {
        Register.RDI, Register.RSI, Register.RDX, Register.R10, Register.R8, Register.R9,
    };

    private Syscalls() {}

    static long[] arguments(Registers regs) {
        long[] args = new long[ARGUMENTS.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = regs.get(ARGUMENTS[i]);
        }
        return args;
    }

    static boolean isExit(long number) {
        return number == EXIT || number == EXIT_GROUP;
    }

    static boolean isRestart(long result) {
        return result == ERESTARTSYS || result == ERESTARTNOINTR || result == ERESTARTNOHAND
                || result == ERESTART_RESTARTBLOCK;
    }

}
