package dev.tracedb.machine.elf;

import java.nio.file.Path;

/** An ELF file could not be read: missing, unreadable, not ELF, or not x86-64. */
public final class ElfReadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    public ElfReadException(Path path, String problem, Throwable cause) {
        super(path + ": " + problem, cause);
        this.path = path;
    }

    public Path path() {
        return path;
    }
}
