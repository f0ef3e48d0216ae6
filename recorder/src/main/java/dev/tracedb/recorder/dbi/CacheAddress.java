package dev.tracedb.recorder.dbi;

/**
 * An address inside the shared region as the tracee sees it (DynamoRIO's {@code cache_pc}):
 * translated code, exit stubs, the ring, spill slots. Java reaches the same bytes through
 * {@link SharedRegion#offsetOf(CacheAddress)}.
 */
public record CacheAddress(long value) implements Comparable<CacheAddress> {
    public static CacheAddress of(long value) {
        return new CacheAddress(value);
    }

    public CacheAddress plus(long bytes) {
        return new CacheAddress(value + bytes);
    }

    @Override
    public int compareTo(CacheAddress other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return "cache:0x" + Long.toHexString(value);
    }
}
