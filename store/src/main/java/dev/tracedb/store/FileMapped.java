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
 */
public record FileMapped(long blockEvent, String path, long size, long modifiedNanos, long inode) {
    public FileMapped {
        Objects.requireNonNull(path, "path");
    }
}
