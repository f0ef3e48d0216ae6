package dev.tracedb.recorder.inputs;

import dev.tracedb.machine.linux.Register;
import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.RemoteAddress;
import dev.tracedb.machine.linux.RemoteSyscalls;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.Tracee;

/**
 * rdtsc and rdtscp, which read the CPU's time-stamp counter without a system call: an input no
 * syscall stop would see. {@code prctl(PR_SET_TSC, PR_TSC_SIGSEGV)} makes both fault with SIGSEGV
 * (si_code SI_KERNEL, pc at the instruction); the recorder then plays the instruction itself: the
 * value of a counter of its own in edx:eax (and the aux value in ecx for rdtscp), pc past it, and
 * no signal for the program.
 *
 * <p>The counter is the recorder's monotonic clock in nanoseconds (a 1 GHz time-stamp counter),
 * strictly increasing across reads as a real one is. The aux value of rdtscp (normally the CPU
 * number) is 0.
 *
 * <p>The setting belongs to the thread and is inherited by its children and kept across exec: a
 * program that leaves the recording (a child process at its birth, the program after an exec or
 * handed over to run natively) must have it switched back, or its first rdtsc would kill it
 * ({@link #allow}).
 *
 * <p>Not thread-safe: one per recording, on the tracer thread.
 */
final class TimestampEmulation {
    /** A time-stamp counter read the recorder played. */
    record Read(long value, long aux, boolean withAux) {}

    private static final int SI_KERNEL = 0x80;
    private static final long LOW_32 = 0xffff_ffffL;

    private final long origin = System.nanoTime();
    private long last;

    /** Makes rdtsc/rdtscp fault in the stopped {@code tracee} from now on. */
    static void trap(Tracee tracee) {
        setTrap(tracee, true);
    }

    /** Lets rdtsc/rdtscp run natively again in the stopped {@code tracee}. */
    static void allow(Tracee tracee) {
        setTrap(tracee, false);
    }

    private static void setTrap(Tracee tracee, boolean trap) {
        try (RemoteSyscalls remote = new RemoteSyscalls(tracee)) {
            remote.trapTimestampCounter(trap);
        }
    }

    /**
     * If the signal of the current signal-delivery-stop is an rdtsc/rdtscp fault, plays the
     * instruction (registers set, the signal is then to be suppressed) and returns what it read;
     * otherwise null, and nothing changed.
     */
    Read emulate(Tracee tracee, SignalInfo info) {
        if (!info.signal().equals(Signal.SIGSEGV) || info.code() != SI_KERNEL) {
            return null;
        }
        Registers regs = tracee.registers();
        RemoteAddress pc = regs.rip();
        byte[] code;
        try {
            code = tracee.memory().read(pc, 3);
        } catch (RuntimeException unreadable) {
            return null;
        }
        boolean rdtsc = (code[0] & 0xff) == 0x0f && (code[1] & 0xff) == 0x31;
        boolean rdtscp = (code[0] & 0xff) == 0x0f && (code[1] & 0xff) == 0x01 && (code[2] & 0xff) == 0xf9;
        if (!rdtsc && !rdtscp) {
            return null;
        }
        long value = next();
        regs.set(Register.RAX, value & LOW_32).set(Register.RDX, value >>> 32).setRip(pc.plus(rdtsc ? 2 : 3));
        if (rdtscp) {
            regs.set(Register.RCX, 0);
        }
        tracee.setRegisters(regs);
        return new Read(value, 0, rdtscp);
    }

    private long next() {
        last = Math.max(last + 1, System.nanoTime() - origin);
        return last;
    }
}
