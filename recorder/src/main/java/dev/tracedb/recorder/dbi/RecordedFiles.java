package dev.tracedb.recorder.dbi;

import dev.tracedb.recorder.RecordingStoppedException;
import dev.tracedb.store.FileMapped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whether a file the recorded program mapped is still the one it mapped: same size, modification
 * time, inode and, when the {@link FileMapped} event has them (format version 2), same inode change
 * time and device. Its bytes are not in the log, so an expansion maps it again and must not map
 * another. The change time is what tells a same-size rewrite in place whose mtime was set back
 * (utimensat moves it too, and no user can set it back); without it such a rewrite goes unnoticed.
 * Stateless, thread-safe.
 */
public final class RecordedFiles {
    private RecordedFiles() {
    }

    /**
     * @throws RecordingStoppedException (one line naming the file and each field that differs, then
     *                                   and now) if the file is missing or differs from the recorded one
     */
    public static void requireUnchanged(FileMapped file) {
        Map<String, Object> now;
        try {
            now = Files.readAttributes(Path.of(file.path()), "unix:size,lastModifiedTime,ino,ctime,dev");
        } catch (IOException e) {
            throw changed(file, "missing now");
        }
        List<String> differences = new ArrayList<>();
        compare(differences, "size", file.size(), (Long) now.get("size"), "");
        compare(differences, "mtime", file.modifiedNanos(), nanos(now.get("lastModifiedTime")), " ns");
        compare(differences, "inode", file.inode(), (Long) now.get("ino"), "");
        if (file.hasChangeTimeAndDevice()) {
            compare(differences, "ctime", file.changedNanos(), nanos(now.get("ctime")), " ns");
            compare(differences, "device", file.device(), (Long) now.get("dev"), "");
        }
        if (!differences.isEmpty()) {
            throw changed(file, String.join(", ", differences));
        }
    }

    private static void compare(List<String> differences, String field, long then, long now, String unit) {
        if (then != now) {
            differences.add(field + " " + then + unit + " then, " + now + unit + " now");
        }
    }

    private static long nanos(Object fileTime) {
        return ((FileTime) fileTime).to(TimeUnit.NANOSECONDS);
    }

    private static RecordingStoppedException changed(FileMapped file, String how) {
        return new RecordingStoppedException("the file " + file.path() + " changed since the inputs were recorded ("
                + how + "); the run cannot be expanded");
    }
}
