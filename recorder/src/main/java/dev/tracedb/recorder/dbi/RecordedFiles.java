package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.store.FileMapped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whether a file the recorded program mapped is still the one it mapped: same size, modification
 * time and inode as its {@link FileMapped} event. Its bytes are not in the log, so an expansion
 * maps it again and must not map another. Stateless, thread-safe.
 */
public final class RecordedFiles {
    private RecordedFiles() {
    }

    /** @throws RecordingStoppedException (one line) if the file is missing or differs from the recorded one */
    public static void requireUnchanged(FileMapped file) {
        String now = state(Path.of(file.path()));
        String then = state(file.size(), file.modifiedNanos(), file.inode());
        if (!now.equals(then)) {
            throw new RecordingStoppedException("the file " + file.path() + " changed since the inputs were recorded ("
                    + then + " then, " + now + " now); the run cannot be expanded");
        }
    }

    private static String state(Path file) {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:size,lastModifiedTime,ino");
            long nanos = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
            return state((Long) a.get("size"), nanos, (Long) a.get("ino"));
        } catch (IOException e) {
            return "missing";
        }
    }

    private static String state(long size, long modifiedNanos, long inode) {
        return "size " + size + ", mtime " + modifiedNanos + " ns, inode " + inode;
    }
}
