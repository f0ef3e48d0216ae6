package dev.tracedb.machine.linux;

/**
 * What {@code waitpid} reported about a tracee: it ended ({@link Exited}, {@link Killed}) or it
 * stopped, and why. Decoded from the raw status by {@link #decode}.
 *
 * <p>A single-step completes with a {@link SignalStop} of {@code SIGTRAP}. Resuming after a
 * {@link SignalStop} delivers the signal only if the caller passes it back; the other stops carry
 * no signal to deliver.
 */
public sealed interface StopEvent {
    int PTRACE_EVENT_STOP = 128;
    int SYSCALL_TRAP = 0x80 | 5;

    /** True if the process is gone (and reaped): no further stops will come. */
    default boolean isTerminal() {
        return false;
    }

    /** The process called exit with this status (0..255). */
    record Exited(int code) implements StopEvent {
        @Override
        public boolean isTerminal() {
            return true;
        }
    }

    /** The process was killed by a signal. */
    record Killed(Signal signal, boolean coreDumped) implements StopEvent {
        @Override
        public boolean isTerminal() {
            return true;
        }
    }

    /** Signal-delivery-stop: the signal is about to be delivered; also the end of a single-step. */
    record SignalStop(Signal signal) implements StopEvent {}

    /**
     * {@code PTRACE_EVENT_STOP}: a group-stop (signal is a stop signal) or a stop caused by
     * {@code PTRACE_INTERRUPT} or by being seized while stopped (signal is usually SIGTRAP).
     */
    record GroupStop(Signal signal) implements StopEvent {}

    /** A {@code PTRACE_EVENT_*} stop; see {@code PTRACE_GETEVENTMSG} for its detail. */
    record EventStop(PtraceEvent event) implements StopEvent {}

    /** Syscall-enter- or syscall-exit-stop (reported as SIGTRAP|0x80 with TRACESYSGOOD). */
    record SyscallStop() implements StopEvent {}

    /** Decodes a {@code waitpid} status as the {@code W*} macros of {@code sys/wait.h} do. */
    static StopEvent decode(int status) {
        int low = status & 0x7f;
        if (low == 0) {
            return new Exited((status >> 8) & 0xff);
        }
        if (low != 0x7f) {
            return new Killed(Signal.of(low), (status & 0x80) != 0);
        }
        int signal = (status >> 8) & 0xff;
        int event = (status >> 16) & 0xff;
        if (signal == SYSCALL_TRAP && event == 0) {
            return new SyscallStop();
        }
        if (event == PTRACE_EVENT_STOP) {
            return new GroupStop(Signal.of(signal));
        }
        if (event != 0) {
            return new EventStop(PtraceEvent.of(event));
        }
        return new SignalStop(Signal.of(signal));
    }
}
