package dev.tracedb.machine.linux;

/**
 * An address in a tracee's address space (rr's {@code remote_ptr}). Its own type so that a tracee
 * address is never confused with a local one or with a plain number; compared as unsigned.
 */
public record RemoteAddress(long value) implements Comparable<RemoteAddress> {
    public static final RemoteAddress NULL = new RemoteAddress(0);

    public static RemoteAddress of(long value) {
        return new RemoteAddress(value);
    }

    public RemoteAddress plus(long bytes) {
        return new RemoteAddress(value + bytes);
    }

    public RemoteAddress minus(long bytes) {
        return new RemoteAddress(value - bytes);
    }

    /** Bytes from {@code origin} to this address. */
    public long distanceFrom(RemoteAddress origin) {
        return value - origin.value;
    }

    /** Rounded down to a multiple of {@code alignment}, which must be a power of two. */
    public RemoteAddress alignDown(long alignment) {
        if (Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment is not a power of two: " + alignment);
        }
        return new RemoteAddress(value & -alignment);
    }

    public boolean isNull() {
        return value == 0;
    }

    @Override
    public int compareTo(RemoteAddress other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return "0x" + Long.toHexString(value);
    }
}
