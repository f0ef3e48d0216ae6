package dev.tracedb.machine.linux;

import java.util.Objects;
import java.util.Optional;

/**
 * One line of {@code /proc/PID/maps}: {@code [start, end)} mapped with {@code permissions}
 * ("r-xp": read, write, execute, p(rivate) or s(hared)) from {@code offset} of the file
 * {@code device}/{@code inode} at {@code path}. Immutable.
 *
 * @param path empty for anonymous mappings; pseudo-paths such as {@code [heap]} or {@code [vdso]}
 *             as the kernel prints them; a file name may end in {@code " (deleted)"}
 */
public record MemoryMapping(long start, long end, String permissions, long offset, String device, long inode,
                            Optional<String> path) {

    public MemoryMapping {
        Objects.requireNonNull(permissions, "permissions");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(path, "path");
        if (Long.compareUnsigned(start, end) >= 0) {
            throw new IllegalArgumentException(String.format("empty mapping 0x%x-0x%x", start, end));
        }
        if (permissions.length() != 4) {
            throw new IllegalArgumentException("permissions are four characters like r-xp: " + permissions);
        }
    }

    public long size() {
        return end - start;
    }

    public boolean isReadable() {
        return permissions.charAt(0) == 'r';
    }

    public boolean isWritable() {
        return permissions.charAt(1) == 'w';
    }

    public boolean isExecutable() {
        return permissions.charAt(2) == 'x';
    }

    public boolean isShared() {
        return permissions.charAt(3) == 's';
    }

    /** Backed by a file (an inode), as opposed to anonymous memory, the heap, the stack or the vDSO. */
    public boolean isFileBacked() {
        return inode != 0 && path.isPresent() && !path.get().startsWith("[");
    }

    public boolean contains(long address) {
        return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
    }
}
