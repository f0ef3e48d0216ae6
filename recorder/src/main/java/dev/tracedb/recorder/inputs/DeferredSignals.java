package dev.tracedb.recorder.inputs;

import dev.tracedb.machine.linux.Signal;
import dev.tracedb.machine.linux.SignalInfo;
import dev.tracedb.machine.linux.Tracee;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Caught signals that arrived between system calls, held back by the tracer so that they reach
 * the program at a system call's end, a point the expansion can replay without a branch counter.
 *
 * <p>At the signal's delivery-stop the tracer suppresses it and keeps its {@code siginfo}
 * ({@link #defer}). At the program's next system call entry ({@link #send}) the signal is sent again
 * with kill(2): it is then pending while the call runs (a blocking call returns early, as it would
 * for any signal) and the kernel delivers it on the way out, right at the call's end, where the
 * recording logs it like a {@code raise}. At that delivery-stop the original {@code siginfo} is put
 * back ({@link #restore}), so a handler sees what the kernel said (SI_KERNEL of a timer, say), not
 * the tracer's kill. The program has run a few more instructions before its handler: the same as a
 * signal arriving a little later, which scheduling does all the time.
 *
 * <p>Bounded: a program that makes no system call within {@link #BOUND_MILLIS} ms (a loop waiting
 * for the signal) gets it anyway, sent by a timer thread; it then arrives between system calls
 * again, and the recording ends there as before (the caller sees {@link #restore} return a signal
 * that is not at a call's end).
 *
 * <p>A standard signal arriving again while deferred and not yet sent is merged into the first, as
 * the kernel merges a standard signal that is already pending. Real-time signals, which queue, are
 * not deferred ({@link SignalPolicy}).
 *
 * <p>Thread-safety: {@link #defer}, {@link #restore} and {@link #close} run on the tracer thread;
 * {@link #send} on the tracer thread or the timer thread; all are synchronized. The timer thread
 * only calls kill(2), never ptrace.
 */
final class DeferredSignals implements AutoCloseable {
    /** How long a signal may be held before it is sent anyway. */
    static final long BOUND_MILLIS = 20;
    private static final int SI_USER = 0;
    private static final long SELF = ProcessHandle.current().pid();

    private final Tracee tracee;
    /** By signal number, in arrival order: the siginfo to give back, and whether it has been sent again. */
    private final Map<Integer, Held> held = new LinkedHashMap<>();
    private ScheduledExecutorService timer;
    private ScheduledFuture<?> deadline;

    private static final class Held {
        final byte[] rawInfo;
        final SignalInfo info;
        boolean sent;

        Held(byte[] rawInfo, SignalInfo info) {
            this.rawInfo = rawInfo;
            this.info = info;
        }
    }

    DeferredSignals(Tracee tracee) {
        this.tracee = tracee;
    }

    /**
     * Holds the signal of the current signal-delivery-stop (the caller resumes without it). A signal
     * already held is merged into it, as the kernel merges a standard signal already pending.
     */
    synchronized void defer(Signal signal, SignalInfo info) {
        if (held.containsKey(signal.number())) {
            return;
        }
        held.put(signal.number(), new Held(tracee.rawSignalInfo(), info));
        if (deadline == null) {
            if (timer == null) {
                timer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "tracedb-deferred-signals");
                    t.setDaemon(true);
                    return t;
                });
            }
            deadline = timer.schedule(this::send, BOUND_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** True if a signal is held and not sent again yet. */
    synchronized boolean waiting() {
        return held.values().stream().anyMatch(h -> !h.sent);
    }

    /** Sends every held signal not sent yet (kill(2)); a process already gone is no error. */
    synchronized void send() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        if (!tracee.isAlive()) {
            return; // reaped: its pid may be another process's by now
        }
        for (Map.Entry<Integer, Held> e : held.entrySet()) {
            if (!e.getValue().sent) {
                e.getValue().sent = true;
                try {
                    tracee.signal(Signal.of(e.getKey()));
                } catch (RuntimeException gone) {
                    // the program ended meanwhile: nothing left to deliver to
                }
            }
        }
    }

    /**
     * At a signal-delivery-stop of a held signal that was sent again: whether this instance stands
     * for the held one. If so, its original siginfo is put back into the stop and returned, and it is
     * no longer held; otherwise null (not held, not sent yet, or ours is still to come).
     *
     * <p>Ours is the one from this process's kill (SI_USER, our pid). But an instance the kernel
     * raised may come instead: if it was already pending when we sent ours, the kernel dropped ours
     * (a standard signal is pending once), so this one stands for it; if it was taken for delivery
     * just before a timer-thread kill, ours is still pending and comes next. The pending set in
     * {@code /proc/PID/status} tells the two apart (the tracee is stopped).
     */
    synchronized SignalInfo restore(Signal signal, SignalInfo current) {
        Held h = held.get(signal.number());
        if (h == null || !h.sent) {
            return null;
        }
        boolean ours = current.code() == SI_USER && current.senderPid() == SELF;
        if (!ours && pendingInKernel(signal)) {
            return null;
        }
        held.remove(signal.number());
        tracee.setSignalInfo(h.rawInfo);
        return h.info;
    }

    private boolean pendingInKernel(Signal signal) {
        Path status = Path.of("/proc", Integer.toString(tracee.pid()), "status");
        long bit = 1L << (signal.number() - 1);
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("SigPnd:") || line.startsWith("ShdPnd:")) {
                    if ((Long.parseUnsignedLong(line.substring(7).trim(), 16) & bit) != 0) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + status, e);
        }
    }

    /** True if this signal is held (waiting, or sent and not back yet): another instance merges into it. */
    synchronized boolean holds(Signal signal) {
        return held.containsKey(signal.number());
    }

    /** The held signals' names, for a message. */
    synchronized List<String> names() {
        List<String> names = new ArrayList<>();
        for (Integer n : held.keySet()) {
            names.add(Signal.of(n).name());
        }
        return names;
    }

    @Override
    public synchronized void close() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }
}
