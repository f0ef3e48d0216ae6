package dev.tracedb.recorder.dbi;

/**
 * An address range {@code [start, end)} of the tracee that the engine must leave alone: in an
 * expansion, every range the recorded program ever mapped, so that no code-cache view takes an
 * address the program's forced mappings will need later.
 */
public record AddressRange(long start, long end) {
    public AddressRange {
        if (Long.compareUnsigned(end, start) < 0) {
            throw new IllegalArgumentException("range ends before it starts: 0x" + Long.toHexString(start)
                    + "..0x" + Long.toHexString(end));
        }
    }
}
