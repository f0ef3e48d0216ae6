package dev.tracedb.compiler.values;

import dev.tracedb.compiler.path.CodeAddress;

/**
 * What the samples said about one guardable load on one trace's path.
 *
 * @param traceId     the trace
 * @param block       the block's index on the path
 * @param instruction the load's index in that block
 * @param at          the load's address
 * @param passes      passes through this position that carried a sample
 * @param value       the most frequent value (meaningless when {@code passes} is 0)
 * @param count       passes that saw {@code value}
 * @param guarded     whether the {@link ValueRule} made it a guard
 */
public record SiteValues(int traceId, int block, int instruction, CodeAddress at, long passes, long value, long count,
                         boolean guarded) {
    /** The share of passes that saw {@link #value}, 0 without passes. */
    public double share() {
        return passes == 0 ? 0 : (double) count / passes;
    }
}
