package dev.tracedb.compiler.cache;

import java.util.List;
import java.util.Objects;

/**
 * A module a cache applies to, identified by its build-id and by the bytes its traces rely on:
 * every byte copied into a trace and every byte a head patch overwrites.
 *
 * @param path         the file the module was mapped from when recorded
 * @param buildId      the ELF build-id in hex ("" when none)
 * @param reliedOn     the ranges (offsets from the module base), sorted, not overlapping
 * @param reliedOnHash {@link ReliedOnHash} of those bytes, in range order
 */
public record CachedModule(String path, String buildId, List<ByteRange> reliedOn, long reliedOnHash) {
    public CachedModule {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(buildId, "buildId");
        reliedOn = List.copyOf(reliedOn);
    }

    /** A range of module bytes, {@code [offset, offset + length)} from the module base. */
    public record ByteRange(long offset, int length) {
        public ByteRange {
            if (offset < 0 || length <= 0) throw new IllegalArgumentException("bad range " + offset + "+" + length);
        }
    }
}
