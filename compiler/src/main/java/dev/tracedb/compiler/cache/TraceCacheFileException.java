package dev.tracedb.compiler.cache;

import java.nio.file.Path;

/**
 * A trace-cache file cannot be used: it is missing or unreadable, truncated, fails its checksum,
 * has another format version, or does not decode. The message is one line naming the file, so the
 * command line can print it as it is.
 */
public class TraceCacheFileException extends RuntimeException {
    private final Path file;

    public TraceCacheFileException(Path file, String what, Throwable cause) {
        super("trace cache " + file + ": " + what, cause);
        this.file = file;
    }

    public TraceCacheFileException(Path file, String what) {
        this(file, what, null);
    }

    /** The file that could not be used. */
    public Path file() {
        return file;
    }
}
