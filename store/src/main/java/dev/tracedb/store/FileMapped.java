package dev.tracedb.store;

import java.util.Objects;

/**
 * The file behind a file-backed {@code mmap}, logged right after that mmap's {@link SyscallResult} in
 * an inputs-only run: re-executing the run maps the same file again (its bytes are not in the log),
 * so it must be able to find it and to tell that it has not changed since.
 *
 * @param blockEvent    the number of block events executed before it (stamped by the writer)
 * @param path          the file's path when it was mapped ({@code /proc/PID/fd/N})
 * @param size          its size in bytes then
 * @param modifiedNanos its modification time then, in nanoseconds since the epoch
 * @param inode         its inode number then
 * @param changedNanos  its inode change time then (st_ctim), in nanoseconds since the epoch: it moves on
 *                      every write and every utimensat and cannot be set back by a user, so it tells
 *                      a file rewritten in place with its size and mtime restored; {@link #UNKNOWN} in
 *                      a version 1 frame, which did not record it
 * @param device        the device of the filesystem holding it then (st_dev), so a file on another
 *                      filesystem with the same inode number is not taken for it; {@link #UNKNOWN} in
 *                      a version 1 frame
 */
public record FileMapped(long blockEvent, String path, long size, long modifiedNanos, long inode, long changedNanos,
                         long device) {
    /** {@link #changedNanos} and {@link #device} of a file recorded without them (a version 1 frame). */
    public static final long UNKNOWN = Long.MIN_VALUE;

    public FileMapped {
        Objects.requireNonNull(path, "path");
        if ((changedNanos == UNKNOWN) != (device == UNKNOWN)) {
            throw new IllegalArgumentException("the change time and the device are recorded together or not at all");
        }
    }

    /** A file recorded by a version 1 frame: without its change time and device. */
    public FileMapped(long blockEvent, String path, long size, long modifiedNanos, long inode) {
        this(blockEvent, path, size, modifiedNanos, inode, UNKNOWN, UNKNOWN);
    }

    /** Whether the change time and device were recorded (a version 2 frame). */
    public boolean hasChangeTimeAndDevice() {
        return changedNanos != UNKNOWN;
    }
}
