package dev.tracedb.recorder.inputs;

import dev.tracedb.machine.linux.PtraceEvent;
import dev.tracedb.machine.linux.Resume;
import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.StopEvent;
import dev.tracedb.machine.linux.Tracee;
import dev.tracedb.recorder.SteppedAside;

/**
 * Ends an inputs recording early and hands the program over to run natively. The log keeps
 * everything up to here; the {@link dev.tracedb.recorder.Recorder} treats the
 * {@link SteppedAside} this returns as it treats an exec: the run is left incomplete, the
 * program is detached and goes on, and its exit status is still reported.
 *
 * <p>Two things must hold before the program is let go, or it would run wrongly:
 * <ul>
 * <li>no signal may be lost: a detach at a signal-delivery-stop would drop the signal being
 *     delivered, so that signal is delivered first (its handler starts natively) and the program
 *     runs to its next system call, exit or stop, where a detach loses nothing;</li>
 * <li>rdtsc must work again ({@link TimestampEmulation#allow}); until then, rdtsc faults on the
 *     way are still played, not logged.</li>
 * </ul>
 * If the program ends on the way there, there is nothing left to hand over; the recorder finds it
 * gone and reports how it ended.
 */
final class Handover {

    private Handover() {}

    /**
     * Brings the stopped {@code tracee} to a point where it can be detached and returns the
     * exception that ends the recording, with the one-line reason for the user.
     *
     * @param syscall  the index in the log of the system call it ends at (the calls logged before it)
     * @param pending  the signal of the current signal-delivery-stop, still to be delivered, or null
     */
    static SteppedAside end(Tracee tracee, TimestampEmulation timestamps, long syscall, String reason,
                               Signal pending) {
        return end(tracee, timestamps, syscall, reason, pending, null);
    }

    /**
     * As {@link #end(Tracee, TimestampEmulation, long, String, Signal)}; held signals still waiting
     * are sent, and those that come back on the way get their own siginfo again.
     *
     * @param deferred the recording's held signals, or null
     */
    static SteppedAside end(Tracee tracee, TimestampEmulation timestamps, long syscall, String reason,
                               Signal pending, DeferredSignals deferred) {
        if (deferred != null) {
            deferred.send();
        }
        String message = "inputs recording ends at syscall " + syscall + ": " + reason;
        StopEvent stop = tracee.lastStop();
        Signal deliver = pending;
        while (deliver != null) {
            stop = tracee.resumeAndWait(Resume.SYSCALL, deliver);
            deliver = null;
            while (stop instanceof StopEvent.SignalStop && timestamps.emulate(tracee, tracee.signalInfo()) != null) {
                stop = tracee.resumeAndWait(Resume.SYSCALL, null);
            }
            if (stop instanceof StopEvent.SignalStop s) {
                deliver = s.signal();
                if (deferred != null) {
                    deferred.restore(deliver, tracee.signalInfo());
                }
            }
        }
        boolean exiting = stop instanceof StopEvent.EventStop e && e.event() == PtraceEvent.EXIT;
        if (tracee.isAlive() && !exiting && (stop instanceof StopEvent.SyscallStop || stop instanceof StopEvent.EventStop)) {
            TimestampEmulation.allow(tracee);
        }
        return new SteppedAside(message);
    }
}
