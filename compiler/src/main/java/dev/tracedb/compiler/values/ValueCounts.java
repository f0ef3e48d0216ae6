package dev.tracedb.compiler.values;

import java.util.HashMap;
import java.util.Map;

/**
 * How often each value was seen at one trace position. Keeps at most {@value #DISTINCT} distinct
 * values, so a position that sees many (a load of changing data) costs bounded memory; later
 * newcomers count as passes only. That can only under-count a value (one first seen after 64
 * others), which makes a guard less likely, never wrong.
 * Not thread-safe.
 */
final class ValueCounts {
    static final int DISTINCT = 64;
    private final Map<Long, long[]> counts = new HashMap<>();
    private long passes;

    void add(long value) {
        passes++;
        long[] c = counts.get(value);
        if (c != null) {
            c[0]++;
        } else if (counts.size() < DISTINCT) {
            counts.put(value, new long[] {1});
        }
    }

    long passes() {
        return passes;
    }

    /** The most frequent value (the smallest of equals, so that the choice is deterministic); 0 if none. */
    long top() {
        long best = 0;
        long bestCount = -1;
        for (Map.Entry<Long, long[]> e : counts.entrySet()) {
            long n = e.getValue()[0];
            if (n > bestCount || (n == bestCount && e.getKey() < best)) {
                best = e.getKey();
                bestCount = n;
            }
        }
        return best;
    }

    /**
     * The {@code k} most frequent values with their counts, most frequent first (equals: smaller value
     * first, as {@link #top()}).
     */
    java.util.List<SiteValues.Share> leaders(int k) {
        return counts.entrySet().stream()
                .map(e -> new SiteValues.Share(e.getKey(), e.getValue()[0]))
                .sorted(java.util.Comparator.comparingLong(SiteValues.Share::count).reversed()
                        .thenComparingLong(SiteValues.Share::value))
                .limit(k).toList();
    }

    long countOf(long value) {
        long[] c = counts.get(value);
        return c == null ? 0 : c[0];
    }
}
