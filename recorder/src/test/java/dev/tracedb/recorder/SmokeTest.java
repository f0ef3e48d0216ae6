package dev.tracedb.recorder;

import dev.tracedb.store.TraceDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

class SmokeTest {
    @TempDir Path tmp;

    @Test
    void smoke() throws Exception {
        for (String p : List.of(TestPrograms.program("loops-static"), TestPrograms.program("loops"), "/bin/true", TestPrograms.program("crash"))) {
          for (List<String> env : List.of(TestPrograms.ENV, List.of("PATH=/usr/bin:/bin"))) {
            try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
                long t0 = System.nanoTime();
                try {
                    RecordOutcome o = new Recorder(db).record(RecordOptions.builder(List.of(p, "3")).environment(env)
                            .stdout(tmp.resolve("out")).build(), new Progress());
                    double s = (System.nanoTime() - t0) / 1e9;
                    System.out.println(p + " " + env.size() + " -> " + o + String.format(" %.0f steps/s", o.stops() / s));
                } catch (RuntimeException e) {
                    System.out.println(p + " " + env.size() + " FAILED " + e);
                }
            }
          }
        }
    }
}
