package dev.tracedb.machine.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The C programs that the testprograms module compiles, and facts about ELF files. */
final class TestPrograms {
    /** A fixed environment, so that runs are comparable. */
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C");

    private TestPrograms() {}

    static Path path(String name) {
        String dir = System.getProperty("tracedb.testprograms");
        Path base = dir != null ? Path.of(dir) : Path.of("../testprograms/target/bin");
        Path program = base.resolve(name).toAbsolutePath().normalize();
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("test program not built: " + program);
        }
        return program;
    }

    static String program(String name) {
        return path(name).toString();
    }

    /** e_entry of an ELF file. */
    static long elfEntry(Path file) {
        try {
            byte[] header = Files.readAllBytes(file);
            return ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong(24);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of an auxiliary vector entry of a live process, from /proc/PID/auxv. */
    static long auxv(int pid, int type) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(Path.of("/proc/" + pid + "/auxv")))
                    .order(ByteOrder.LITTLE_ENDIAN);
            while (b.remaining() >= 16) {
                long key = b.getLong();
                long value = b.getLong();
                if (key == type) {
                    return value;
                }
            }
            throw new IllegalStateException("no auxv entry " + type + " for " + pid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
