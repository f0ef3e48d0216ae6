package dev.tracedb.machine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Finds the C programs that the testprograms module compiled, and runs tools on them. */
public final class TestPrograms {
    private TestPrograms() {
    }

    /** {@code testprograms/target/bin/NAME}; fails clearly if the property or the file is missing. */
    public static Path path(String name) {
        String directory = System.getProperty("tracedb.testprograms");
        if (directory == null) {
            throw new IllegalStateException("system property tracedb.testprograms is not set (surefire sets it)");
        }
        Path program = Path.of(directory, name);
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException(program + " is missing: build the testprograms module first");
        }
        return program;
    }

    /** Runs a test program and returns its standard output; fails if it exits non-zero. */
    public static String run(String name, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(path(name).toString());
        command.addAll(List.of(args));
        return exec(command);
    }

    /** Runs any command (e.g. readelf) and returns its standard output; fails if it exits non-zero. */
    public static String exec(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command + " did not finish");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(command + " exited with " + process.exitValue());
        }
        return new String(output, StandardCharsets.UTF_8);
    }
}
