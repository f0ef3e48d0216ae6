package dev.tracedb.recorder.dbi;

/**
 * An address of the application's own code or data (DynamoRIO's {@code app_pc}): where an
 * instruction lives in the original program. Never an address in the code cache.
 */
public record AppAddress(long value) implements Comparable<AppAddress> {
    public static AppAddress of(long value) {
        return new AppAddress(value);
    }

    public AppAddress plus(long bytes) {
        return new AppAddress(value + bytes);
    }

    @Override
    public int compareTo(AppAddress other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return "app:0x" + Long.toHexString(value);
    }
}
