package dev.tracedb.recorder.dbi;

import java.util.concurrent.Semaphore;

/**
 * With the futex handshake the tracer thread sleeps on the doorbell, not in waitpid; this
 * thread watches for the tracee's ptrace stops (system-call traps, signals, the exit) with
 * waitid(WNOWAIT), which leaves the stop for the tracer thread to reap, and rings the doorbell.
 *
 * <p>Protocol: the tracer {@link #arm arms} the watcher after each resume; the watcher waits for
 * one stop, sets {@link #stopPending} and rings; the tracer then reaps the stop with its own
 * waitpid, handles it, resumes and arms again. One stop, one ring: the watcher never waits while
 * a stop it reported is still unreaped (WNOWAIT would report it again at once).
 *
 * <p>Thread-safe as described; {@link #close} stops and joins the thread.
 */
final class StopWatcher implements AutoCloseable {
    private final Semaphore armed = new Semaphore(0);
    private final Thread thread;
    private volatile boolean stopPending;
    private volatile boolean closed;

    StopWatcher(int pid, FutexHandshake handshake) {
        thread = new Thread(() -> {
            while (true) {
                armed.acquireUninterruptibly();
                if (closed) {
                    return;
                }
                boolean something = Kernel.awaitStopWithoutReaping(pid);
                stopPending = true;
                handshake.ring();
                if (!something) {
                    return;
                }
            }
        }, "dbi-stop-watcher-" + pid);
        thread.setDaemon(true);
        thread.start();
    }

    /** The tracee was resumed: watch for its next stop. */
    void arm() {
        stopPending = false;
        armed.release();
    }

    /** Whether the tracee has a ptrace stop for the tracer thread to reap. */
    boolean stopPending() {
        return stopPending;
    }

    /** Ends the thread; call only when the tracee is stopped or gone (the watcher is not in waitid). */
    @Override
    public void close() {
        closed = true;
        armed.release();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
