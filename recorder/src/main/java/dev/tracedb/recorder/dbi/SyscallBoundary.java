package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.Registers;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;

/**
 * Where the program's system calls and timestamp reads get their results: from the kernel (a
 * recording, {@link #NATIVE}) or from a recorded run ({@link ReplayedSyscalls}, an expansion).
 * The session consults it at three places only: a syscall's vetting trap, its result trap, and a
 * signal stop the engine does not own.
 *
 * <p>Called on the tracer thread with the tracee stopped; implementations need not be thread-safe.
 */
interface SyscallBoundary {
    /** Recording: every syscall runs in the kernel, rdtsc runs natively. */
    SyscallBoundary NATIVE = new SyscallBoundary() {
        @Override
        public void entering(int number, long[] args, Registers regs) {
        }

        @Override
        public long returned(int number, long[] args, Registers regs) {
            return regs.rax();
        }

        @Override
        public void sigreturned() {
        }

        @Override
        public SignalInfo arriving(Signal signal, SignalInfo info, Registers regs) {
            return info;
        }
    };

    /**
     * At the vetting trap of syscall {@code number} (rip on the {@code syscall} instruction in the
     * cache, {@code args} the six argument registers): may set the tracee's registers, e.g. to skip
     * the call (rip onto the result trap right after it) or to force an address.
     */
    void entering(int number, long[] args, Registers regs);

    /** At the result trap of the call vetted last ({@code regs.rax()} its result): the result the program sees, set in rax if it differs. */
    long returned(int number, long[] args, Registers regs);

    /**
     * The call that just returned is logged: an expansion whose inputs end there at a point the log
     * cannot place stops now ({@link RecordedInputs#stopsAtLastInput}).
     */
    default void logged() {
    }

    /** {@code rt_sigreturn} was served ({@link SignalDelivery#sigreturn}): the tracee stands where the frame returned to. */
    void sigreturned();

    /**
     * Whether rdtsc and rdtscp get their values here: the translator then copies them as
     * {@link TimestampReads} substitutes, whose SIGILL {@link #arriving} serves.
     */
    default boolean playsTimestampReads() {
        return false;
    }

    /**
     * A signal stop the engine does not own: null if this boundary served it itself (the tracee
     * set to go on, nothing delivered), else the siginfo to deliver it with (possibly rewritten).
     */
    SignalInfo arriving(Signal signal, SignalInfo info, Registers regs);
}
