package dev.tracedb.recorder.inputs;

import dev.tracedb.machine.linux.SignalInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the inputs recording does with a signal about to be delivered (not rdtsc's, which
 * {@link TimestampEmulation} plays). The question is whether the expansion can make it happen at
 * the same point without a branch counter:
 * <ul>
 * <li>a synchronous fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP raised by an instruction,
 *     si_code &gt; 0): the same instruction faults again in the expansion; {@link Action#DELIVER}.</li>
 * <li>a signal that changes nothing: ignored by the program or by default (SIGCHLD, SIGURG,
 *     SIGWINCH, SIGCONT); {@link Action#DELIVER}, the kernel drops it.</li>
 * <li>a signal that kills the program (its default action terminates): {@link Action#DELIVER},
 *     the run ends with it.</li>
 * <li>a signal the program catches, right at a system call's end (raise, kill of itself, a
 *     blocking call interrupted), or right after another such signal's handler frame was built
 *     (two pending at once; {@link SignalHandlers}): its position is that system call;
 *     {@link Action#DELIVER}.</li>
 * <li>a caught standard signal anywhere else, at an instruction no system call marks:
 *     {@link Action#DEFER}, to be sent again at the next system call ({@link DeferredSignals});</li>
 * <li>a caught real-time signal there (they queue, a deferred one could not be merged):
 *     {@link Action#END}; so does a job-control stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU by
 *     default).</li>
 * </ul>
 * Every delivered signal is logged first.
 *
 * <p>Stateless; the dispositions are read from {@code /proc/PID/status} when needed.
 */
final class SignalPolicy {
    enum Action { DELIVER, DEFER, END }

    private static final long DEFAULT_STOPS = bit(19) | bit(20) | bit(21) | bit(22); // STOP TSTP TTIN TTOU
    private static final int FIRST_REAL_TIME = 32;
    private static final long FAULTS = bit(4) | bit(5) | bit(7) | bit(8) | bit(11); // ILL TRAP BUS FPE SEGV

    private SignalPolicy() {}

    /**
     * @param atSyscallEnd whether no instruction ran since the last system call ended
     * @return what to do, and why for {@link Action#END}
     */
    static Decision decide(int pid, SignalInfo info, boolean atSyscallEnd) {
        int signo = info.signal().number();
        if ((FAULTS & bit(signo)) != 0 && info.code() > 0) {
            return Decision.DELIVER;
        }
        long[] masks = dispositions(pid);
        long ignored = masks[0];
        long caught = masks[1];
        if ((caught & bit(signo)) == 0) {
            if ((ignored & bit(signo)) == 0 && (DEFAULT_STOPS & bit(signo)) != 0) {
                return new Decision(Action.END, "job-control stop " + info.signal().name());
            }
            return Decision.DELIVER; // ignored, or the default action: nothing, or the end of the program
        }
        if (atSyscallEnd) {
            return Decision.DELIVER;
        }
        if (signo < FIRST_REAL_TIME) {
            return Decision.DEFER;
        }
        return new Decision(Action.END, "asynchronous " + info.signal().name()
                + " to a handler, between system calls (its position cannot be replayed without a branch counter)");
    }

    /** What to do with a signal, and why it ends the recording. */
    record Decision(Action action, String reason) {
        static final Decision DELIVER = new Decision(Action.DELIVER, null);
        static final Decision DEFER = new Decision(Action.DEFER, null);
    }

    /** The SigIgn and SigCgt masks of {@code pid}: bit {@code n - 1} for signal {@code n}. */
    private static long[] dispositions(int pid) {
        Path status = Path.of("/proc", Integer.toString(pid), "status");
        long[] masks = {-1, -1};
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("SigIgn:")) {
                    masks[0] = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                } else if (line.startsWith("SigCgt:")) {
                    masks[1] = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + status, e);
        }
        if (masks[0] == -1 || masks[1] == -1) {
            throw new IllegalStateException(status + " lacks SigIgn or SigCgt");
        }
        return masks;
    }

    private static long bit(int signo) {
        return 1L << (signo - 1);
    }
}
