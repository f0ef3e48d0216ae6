package dev.tracedb.recorder.inputs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The file behind a descriptor the program maps, identified well enough for the expansion to map
 * the same one: its path ({@code /proc/PID/fd/N}'s link), size, modification time, inode, inode
 * change time and device, from one stat of the descriptor itself (so a file renamed or deleted
 * since it was opened is still the one described). The change time moves on every write and every
 * utimensat and cannot be set back, so it tells a same-size rewrite with its mtime restored without
 * hashing the contents. Read at the mmap's entry, before the program could close the descriptor.
 */
record MappedFile(String path, long size, long modifiedNanos, long inode, long changedNanos, long device) {

    /** The file open as {@code fd} in process {@code pid}, or null if it cannot be read (the mmap will fail with EBADF). */
    static MappedFile of(int pid, long fd) {
        Path link = Path.of("/proc", Integer.toString(pid), "fd", Long.toString(fd));
        try {
            String path = Files.readSymbolicLink(link).toString();
            Map<String, Object> stat = Files.readAttributes(link, "unix:size,lastModifiedTime,ino,ctime,dev");
            FileTime modified = (FileTime) stat.get("lastModifiedTime");
            FileTime changed = (FileTime) stat.get("ctime");
            return new MappedFile(path, (Long) stat.get("size"), modified.to(TimeUnit.NANOSECONDS), (Long) stat.get("ino"),
                    changed.to(TimeUnit.NANOSECONDS), (Long) stat.get("dev"));
        } catch (IOException | UnsupportedOperationException unreadable) {
            return null;
        }
    }
}
