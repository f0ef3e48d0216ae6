package dev.tracedb.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Finds a run's Chronicle data file, for tests that damage it on purpose. */
final class LogFiles {
    private LogFiles() {
    }

    static Path onlyCq4(Path dbDir, RunId id) throws IOException {
        try (Stream<Path> s = Files.list(dbDir.resolve("runs").resolve(id.toString()).resolve("log"))) {
            var files = s.filter(p -> p.toString().endsWith(".cq4")).toList();
            if (files.size() != 1) throw new IllegalStateException("expected one .cq4 file, got " + files);
            return files.get(0);
        }
    }

    /** Offset of the last non-zero byte: where the written data ends in the pre-allocated file. */
    static int endOfData(byte[] file) {
        int i = file.length - 1;
        while (i >= 0 && file[i] == 0) i--;
        return i + 1;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
