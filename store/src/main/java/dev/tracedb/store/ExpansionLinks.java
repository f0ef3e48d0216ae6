package dev.tracedb.store;

import java.util.Map;
import java.util.Optional;

/**
 * Which ordinary run holds the expansion of an inputs-only run ({@link RunInfo#inputsOnly()}), so
 * that an inputs run is expanded once and every later command reads the same expanded run.
 *
 * <p>A link goes from the inputs run to its expanded run and is only made to a run that is
 * complete ({@link RunState#COMPLETE}): an expansion that failed or is still being written is never
 * linked. It is written atomically (a reader sees no link or a whole one) and durably, and a link
 * whose expanded run has gone from the catalog or is not complete reads as no link. Making a new
 * link replaces the old one (an inputs run expanded again is linked to its newest expansion).
 *
 * <p>Expanding takes {@link #lock}, which is exclusive across threads and processes, so that two
 * commands that find the same inputs run unexpanded at once expand it once: the second waits, then
 * finds the link.
 *
 * <p>Thread-safe.
 */
public interface ExpansionLinks {

    /** The complete run that holds the expansion of {@code inputsRun}, if it was linked. */
    Optional<RunId> expandedAs(RunId inputsRun);

    /** The inputs run whose linked expansion {@code run} is, if any. */
    Optional<RunId> expandedFrom(RunId run);

    /** Every valid link, inputs run to expanded run, in inputs-run order. */
    Map<RunId, RunId> all();

    /**
     * Links {@code inputsRun} to {@code expandedRun}, replacing any link it had.
     *
     * @throws IllegalStateException if {@code expandedRun} is not complete
     * @throws NoSuchRunException    if either run does not exist
     */
    void link(RunId inputsRun, RunId expandedRun);

    /** The expansion lock of {@code inputsRun}: blocks until no other thread or process holds it. */
    Lock lock(RunId inputsRun);

    /** The expansion lock of {@code inputsRun}, or empty at once if another thread or process holds it. */
    Optional<Lock> tryLock(RunId inputsRun);

    /** A held expansion lock; closing releases it. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }
}
