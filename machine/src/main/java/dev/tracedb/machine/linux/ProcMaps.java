package dev.tracedb.machine.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads and parses {@code /proc/PID/maps}. The file is a snapshot: a running process may map and
 * unmap at any time, so callers re-read it when they need the current picture (e.g. after the
 * tracee stopped at an {@code mmap} or at exec).
 */
public final class ProcMaps {
    private ProcMaps() {
    }

    /** The mappings of process {@code pid}, in address order. */
    public static List<MemoryMapping> read(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "maps"));
    }

    /** The mappings of the calling process ({@code /proc/self/maps}). */
    public static List<MemoryMapping> readSelf() {
        return read(Path.of("/proc/self/maps"));
    }

    static List<MemoryMapping> read(Path maps) {
        try {
            return parse(Files.readString(maps));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + maps + " (has the process exited?)", e);
        }
    }

    /**
     * Parses the text of a maps file. Format (proc(5)):
     * {@code 7f1c2a000000-7f1c2a022000 r--p 00000000 08:01 1316 /usr/lib/x86_64-linux-gnu/libc.so.6}
     *
     * @throws IllegalArgumentException naming the line that does not have that form
     */
    public static List<MemoryMapping> parse(String text) {
        List<MemoryMapping> mappings = new ArrayList<>();
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            try {
                mappings.add(parseLine(line));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("maps line " + lineNumber + " is malformed: " + line, e);
            }
        }
        return List.copyOf(mappings);
    }

    private static MemoryMapping parseLine(String line) {
        // five fields, then the path, which is the rest of the line and may contain spaces
        String[] fields = line.stripLeading().split(" +", 6);
        if (fields.length < 5) {
            throw new IllegalArgumentException("fewer than five fields");
        }
        int dash = fields[0].indexOf('-');
        long start = Long.parseUnsignedLong(fields[0].substring(0, dash), 16);
        long end = Long.parseUnsignedLong(fields[0].substring(dash + 1), 16);
        Optional<String> path = fields.length == 6 && !fields[5].isEmpty() ? Optional.of(fields[5]) : Optional.empty();
        return new MemoryMapping(start, end, fields[1], Long.parseUnsignedLong(fields[2], 16), fields[3],
                Long.parseLong(fields[4]), path);
    }
}
