package dev.tracedb.store.projection;

import java.util.Arrays;

/**
 * Counts occurrences of long keys in an open-addressing table. Edge counting sees one key per
 * block event, so boxing into a HashMap would dominate the profile's cost. Keys must not be -1
 * (the empty-slot marker); edge keys are two non-negative ints packed, so they never are.
 */
final class LongLongCounter {
    private static final long EMPTY = -1L;

    private long[] keys;
    private long[] counts;
    private int size;
    private int mask;

    LongLongCounter(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        Arrays.fill(keys, EMPTY);
        counts = new long[cap];
        mask = cap - 1;
    }

    void add(long key, long n) {
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) {
                counts[i] += n;
                return;
            }
            if (k == EMPTY) {
                keys[i] = key;
                counts[i] = n;
                if (++size * 2 > keys.length) grow();
                return;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    /** The keys in ascending order, and their counts in the same order. */
    long[][] sorted() {
        long[] k = new long[size];
        int n = 0;
        for (long key : keys) {
            if (key != EMPTY) k[n++] = key;
        }
        Arrays.sort(k);
        long[] c = new long[size];
        for (int j = 0; j < size; j++) c[j] = get(k[j]);
        return new long[][] {k, c};
    }

    long get(long key) {
        int i = slot(key);
        while (true) {
            long k = keys[i];
            if (k == key) return counts[i];
            if (k == EMPTY) return 0;
            i = (i + 1) & mask;
        }
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldCounts = counts;
        keys = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        counts = new long[keys.length];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) add(oldKeys[i], oldCounts[i]);
        }
    }
}
