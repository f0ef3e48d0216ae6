package dev.tracedb.store;

import java.time.Instant;
import java.util.Objects;

/**
 * The last event of a complete run. Its absence is what makes a run incomplete.
 *
 * @param status       how the program ended
 * @param blockEvents  total block events in the run (equals the sum over its execution batches)
 * @param instructions total instructions executed (sum of each executed block's instruction count)
 * @param endTime      wall-clock end time
 */
public record RunEnded(ExitStatus status, long blockEvents, long instructions, Instant endTime) {
    public RunEnded {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(endTime, "endTime");
    }
}
