package dev.tracedb.recorder;

/**
 * The recording ended before the program did, and the program goes on natively: the engine
 * <em>stepped aside</em> at something one run cannot hold (an exec, {@link ProgramExecuted}; a
 * second thread; a call that lets it write its own code, or (DBI engine) unmaps code it ran or takes
 * its execute permission, {@link CodeWrites}; for the inputs engine, a syscall outside its table).
 * Everything up to that point is in the log; the {@link Recorder} leaves the run incomplete (no
 * {@code RunEnded}: the log did not see the program's end), lets the program go if the engine has not already detached it, and
 * still reports its exit status, since a launched program is its child. The message is the one
 * line for the user, saying why.
 *
 * <p>The difference from {@link RecordingStoppedException}: there the program is killed, because
 * it could not go on correctly without the recorder; here it can, and does.
 */
public class SteppedAside extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SteppedAside(String message) {
        super(message);
    }

    /**
     * The one line for a program about to create a thread ({@code call} with {@code CLONE_THREAD}):
     * the engine placed it, with the clone not yet run, on its own {@code syscall} instruction and
     * detached it.
     */
    public static String threadStartingReason(String call) {
        return "the program starts a thread (" + call + " with CLONE_THREAD) and a run records one thread:"
                + " recording stopped before the thread existed";
    }
}
