package dev.tracedb.machine.elf;

import java.util.Objects;

/**
 * A program header.
 *
 * @param rawType the {@code p_type} value, for types that {@link SegmentType} does not name
 * @param flags   {@code p_flags}: {@link #EXECUTE} 1, {@link #WRITE} 2, {@link #READ} 4
 */
public record Segment(SegmentType type, int rawType, long virtualAddress, long fileOffset, long fileSize,
                      long memorySize, int flags, long alignment) {
    public static final int EXECUTE = 1;
    public static final int WRITE = 2;
    public static final int READ = 4;

    public Segment {
        Objects.requireNonNull(type, "type");
    }

    public boolean isReadable() {
        return (flags & READ) != 0;
    }

    public boolean isWritable() {
        return (flags & WRITE) != 0;
    }

    public boolean isExecutable() {
        return (flags & EXECUTE) != 0;
    }

    public boolean contains(long address) {
        return address - virtualAddress >= 0 && address - virtualAddress < memorySize;
    }
}
