package dev.tracedb.machine.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuxiliaryVectorTest extends NoStrayProcesses {
    private static Tracer tracer;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTracer() {
        tracer = Tracer.start("auxv-test");
    }

    @AfterAll
    static void stopTracer() {
        tracer.close();
    }

    /** /bin/true, asked by glibc's LD_SHOW_AUXV to print the vector its loader received. */
    private LaunchOptions.Builder showAuxv(Path out) {
        List<String> env = new ArrayList<>(TestPrograms.ENV);
        env.add("LD_SHOW_AUXV=1");
        return LaunchOptions.builder("/bin/true").environment(env).stdout(out);
    }

    @Test
    void theEntriesReadOnTheStackAreTheKernelsAuxv() {
        try (Tracee t = Tracee.launch(tracer, showAuxv(tmp.resolve("out")).build())) {
            AuxiliaryVector auxv = AuxiliaryVector.atExec(t);
            assertTrue(auxv.entries().size() > 10, auxv.entries().toString());
            for (AuxiliaryVector.Entry e : auxv.entries()) {
                assertEquals(TestPrograms.auxv(t.pid(), (int) e.type()), e.value(), "entry " + e.type());
            }
            byte[] random = t.memory().read(auxv.randomBytesAddress(), AuxiliaryVector.RANDOM_BYTES);
            assertEquals(AuxiliaryVector.RANDOM_BYTES, random.length);
            t.kill();
        }
    }

    @Test
    void aProgramStartedWithoutTheVdsoIsNotOfferedIt() throws IOException {
        Path plain = tmp.resolve("plain");
        Path hidden = tmp.resolve("hidden");
        runToEnd(showAuxv(plain).build());
        runToEnd(showAuxv(hidden).hideVdso(true).build());
        assertTrue(Files.readString(plain).contains("AT_SYSINFO_EHDR"), Files.readString(plain));
        assertFalse(Files.readString(hidden).contains("AT_SYSINFO_EHDR"), Files.readString(hidden));
        assertTrue(Files.readString(hidden).contains("AT_RANDOM"), "the rest of the vector is shown");
    }

    private static void runToEnd(LaunchOptions options) {
        try (Tracee t = Tracee.launch(tracer, options)) {
            StopEvent stop;
            do {
                stop = t.cont();
            } while (!stop.isTerminal());
            assertEquals(new StopEvent.Exited(0), stop);
        }
    }
}
