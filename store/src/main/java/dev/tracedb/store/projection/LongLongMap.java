package dev.tracedb.store.projection;

import java.util.Arrays;

/**
 * An open-addressing map from long keys to long values. Profiles and the compiler's mining touch it
 * once per block event, so boxing into a {@code HashMap} would dominate their cost. Keys must not be {@code -1} (the empty
 * slot); the keys we use are non-negative ints packed in pairs, so they never are.
 *
 * <p>Not thread-safe.
 */
public final class LongLongMap {
    private static final long EMPTY = -1L;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    public LongLongMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        Arrays.fill(keys, EMPTY);
        values = new long[capacity];
        mask = capacity - 1;
    }

    /** Packs two non-negative ints into one key. */
    public static long pair(int high, int low) {
        return ((long) high << 32) | (low & 0xffffffffL);
    }

    public static int high(long key) {
        return (int) (key >>> 32);
    }

    public static int low(long key) {
        return (int) key;
    }

    /** Adds {@code delta} to the value of {@code key} (absent keys count as 0). */
    public void add(long key, long delta) {
        int i = find(key);
        if (keys[i] == key) {
            values[i] += delta;
        } else {
            insert(i, key, delta);
        }
    }

    public void put(long key, long value) {
        int i = find(key);
        if (keys[i] == key) {
            values[i] = value;
        } else {
            insert(i, key, value);
        }
    }

    /** The value of {@code key}, or {@code missing} if it is absent. */
    public long get(long key, long missing) {
        int i = find(key);
        return keys[i] == key ? values[i] : missing;
    }

    public int size() {
        return size;
    }

    @FunctionalInterface
    public interface EntryConsumer {
        void accept(long key, long value);
    }

    /** Visits every entry, in no particular order. */
    public void forEach(EntryConsumer consumer) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY) consumer.accept(keys[i], values[i]);
        }
    }

    /** The keys in ascending order (a projection's stable serialized order). */
    public long[] sortedKeys() {
        long[] sorted = new long[size];
        int n = 0;
        for (long key : keys) {
            if (key != EMPTY) sorted[n++] = key;
        }
        Arrays.sort(sorted);
        return sorted;
    }

    private int find(long key) {
        int i = (int) ((key * 0x9E3779B97F4A7C15L) >>> 32) & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void insert(int slot, long key, long value) {
        keys[slot] = key;
        values[slot] = value;
        if (++size * 2 > keys.length) grow();
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        values = new long[keys.length];
        mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int slot = find(oldKeys[i]);
                keys[slot] = oldKeys[i];
                values[slot] = oldValues[i];
            }
        }
    }
}
