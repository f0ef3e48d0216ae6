package dev.tracedb.compiler.values;

import dev.tracedb.compiler.path.CodeAddress;
import java.util.List;

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
 * @param guarded     whether the rule made it a guard
 * @param guardedValues the values guarded, most frequent first (several: a polymorphic guard)
 * @param leaders     the most frequent values with their counts, most frequent first (at most
 *                    {@link #LEADERS}); what a position that several values share looks like
 */
public record SiteValues(int traceId, int block, int instruction, CodeAddress at, long passes, long value, long count,
                         boolean guarded, List<Share> leaders, List<Long> guardedValues) {
    /** How many of a position's most frequent values are kept. */
    public static final int LEADERS = 4;

    /** One value and the passes that saw it. */
    public record Share(long value, long count) {}

    public SiteValues {
        leaders = List.copyOf(leaders);
        guardedValues = List.copyOf(guardedValues);
    }

    /** The share of passes that saw {@link #value}, 0 without passes. */
    public double share() {
        return passes == 0 ? 0 : (double) count / passes;
    }
}
