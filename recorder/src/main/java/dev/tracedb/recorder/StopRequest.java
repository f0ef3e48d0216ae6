package dev.tracedb.recorder;

/**
 * Asks a recording of an attached process to stop, detach and let the process go on natively
 * (Ctrl-C, {@code --duration}). The engine {@linkplain #arm arms} it with the action that wakes its
 * tracer thread; {@link #request} runs that action at most once, and never after {@link #disarm}, so
 * nothing reaches the process once the engine has let it go.
 *
 * <p>Thread-safe: {@link #request} is called from any thread (a signal handler's, a timer's).
 */
public final class StopRequest {
    private final java.util.concurrent.CountDownLatch armed = new java.util.concurrent.CountDownLatch(1);
    private boolean requested;
    private boolean fired;
    private boolean disarmed;
    private Runnable wake;

    /** Requests the stop; the first call wakes the engine (now, or when it arms). */
    public synchronized void request() {
        requested = true;
        fire();
    }

    public synchronized boolean requested() {
        return requested;
    }

    /** The engine is ready: {@code wake} makes its tracer thread see the request. Runs it now if one is waiting. */
    public synchronized void arm(Runnable wake) {
        this.wake = wake;
        armed.countDown();
        fire();
    }

    /** Waits until the engine records (a duration counts from there, not from the attach's set-up). */
    public void awaitArmed() throws InterruptedException {
        armed.await();
    }

    /** The engine no longer takes requests (it is letting the process go, or it ended). */
    public synchronized void disarm() {
        disarmed = true;
        wake = null;
    }

    private void fire() {
        if (requested && !fired && !disarmed && wake != null) {
            fired = true;
            wake.run();
        }
    }
}
