package dev.tracedb.recorder.inputs;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * x86-64 Linux system call names by number, for messages ("unsupported syscall 'io_uring_setup'").
 * The table is a resource made from the kernel's {@code asm/unistd_64.h}: the numbers are a stable
 * ABI, and a program may call any of them, not only those the recorder knows.
 */
final class SyscallNames {
    private static final String RESOURCE = "x86-64-syscalls.txt";
    private static final Map<Integer, String> NAMES = load();

    private SyscallNames() {}

    /** The call's name, or "syscall N" for a number the table does not have. */
    static String of(long number) {
        String name = number >= 0 && number <= Integer.MAX_VALUE ? NAMES.get((int) number) : null;
        return name != null ? name : "syscall " + number;
    }

    private static Map<Integer, String> load() {
        Map<Integer, String> names = new HashMap<>();
        try (InputStream in = SyscallNames.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " missing from the recorder");
            }
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] parts = line.trim().split(" ");
                    names.put(Integer.parseInt(parts[0]), parts[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.copyOf(names);
    }
}
