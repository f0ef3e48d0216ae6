package dev.tracedb.compiler.mining;

/**
 * Told how far a long pass over the recorded runs has got, once per execution batch (up to 64 Ki
 * block events), so a command line can print progress. Called on the thread doing the work.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores all progress. */
    ProgressListener NONE = (phase, done, total) -> { };

    /**
     * @param phase what the pass is doing, e.g. {@code "profile"} or {@code "forecast"}
     * @param done  block events processed so far in this pass, over all runs
     * @param total block events this pass will process
     */
    void progress(String phase, long done, long total);
}
