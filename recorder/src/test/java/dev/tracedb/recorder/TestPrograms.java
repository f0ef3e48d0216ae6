package dev.tracedb.recorder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

    private static Boolean rdtscTraps;

    private TestPrograms() {}

    /**
     * Whether this machine honours {@code prctl(PR_SET_TSC, PR_TSC_SIGSEGV)} ({@code rdtsc trap-check}):
     * some hypervisors (Firecracker's PVM guests) accept it and let rdtsc run, so the inputs engine
     * cannot see a counter read there. Tests assert the behaviour of the machine they run on.
     */
    public static synchronized boolean rdtscTraps() {
        if (rdtscTraps == null) {
            try {
                Process check = new ProcessBuilder(program("rdtsc"), "trap-check").redirectErrorStream(true).start();
                String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                if (check.waitFor() != 0 || !said.matches("rdtsc (traps|does not trap)")) {
                    throw new IllegalStateException("rdtsc trap-check failed: " + said);
                }
                rdtscTraps = said.equals("rdtsc traps");
            } catch (IOException e) {
                throw new IllegalStateException("rdtsc trap-check", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("rdtsc trap-check interrupted", e);
            }
        }
        return rdtscTraps;
    }

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
