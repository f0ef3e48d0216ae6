package dev.tracedb.recorder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The C programs the testprograms module compiles, and the environment tests record them with. */
public final class TestPrograms {
    /**
     * A fixed environment, so that runs are comparable. The tunables keep glibc off its AVX-512
     * string functions, whose opmask instructions (kmovq, kortestd) Capstone 4.0.2 cannot decode.
     */
    public static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C",
            "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-AVX512ER,-AVX512PF");

    private TestPrograms() {}

    public static String program(String name) {
        String dir = System.getProperty("tracedb.testprograms");
        Path base = dir != null ? Path.of(dir) : Path.of("../testprograms/target/bin");
        Path program = base.resolve(name).toAbsolutePath().normalize();
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("test program not built: " + program);
        }
        return program.toString();
    }
}
