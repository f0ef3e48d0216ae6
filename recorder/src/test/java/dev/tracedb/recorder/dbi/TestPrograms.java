package dev.tracedb.recorder.dbi;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.machine.linux.LaunchOptions;
import dev.tracedb.machine.linux.LoadedModule;
import dev.tracedb.machine.linux.ProcMaps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The C programs that the testprograms module compiles, launched the same way by every test. */
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

    /** ASLR off, fixed environment, stdout to {@code stdout}. */
    static LaunchOptions options(String name, Path stdout, String... args) {
        return LaunchOptions.builder(path(name).toString()).args(args).environment(ENV)
                .randomization(AddressRandomization.DISABLED).stdout(stdout).build();
    }

    /** The module of the process's main executable. */
    static LoadedModule executable(int pid) {
        try {
            Path exe = Path.of("/proc/" + pid + "/exe").toRealPath();
            return LoadedModule.group(ProcMaps.read(pid)).stream()
                    .filter(m -> Path.of(m.path()).equals(exe)).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
