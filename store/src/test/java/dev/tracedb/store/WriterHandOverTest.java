package dev.tracedb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.store.internal.ChronicleTraceDatabase;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The recorder's pattern: the tracer thread creates the writer and defines blocks, a drainer thread
 * appends block events, the tracer thread ends the run. Each hand-over goes through an executor.
 */
class WriterHandOverTest extends StoreTestSupport {

    @Test
    void aWriterMayBeHandedBetweenThreads() throws Exception {
        ExecutorService drainer = Executors.newSingleThreadExecutor();
        try (ChronicleTraceDatabase db = openDb()) {
            RunId id;
            try (RunWriter writer = db.createRun("handed-over", started("/usr/bin/lua5.4"))) {
                id = writer.id();
                defineBlocks(writer, 4);
                int[] stream = InterpreterStreamIds.loop(200_000, 4);
                drainer.submit(() -> writer.appendExec(stream, 0, stream.length)).get(30, TimeUnit.SECONDS);
                writer.syscall(60, new long[6], 0);
                drainer.submit(() -> writer.appendExec(stream, 0, 1000)).get(30, TimeUnit.SECONDS);
                writer.end(ExitStatus.exited(0));
            }
            try (RunReader reader = db.openRun(id)) {
                assertTrue(reader.isComplete());
                assertEquals(201_000, reader.blockEventCount());
            }
        } finally {
            drainer.shutdownNow();
        }
    }

    /** A block-id stream cycling through {@code blocks} defined blocks. */
    private static final class InterpreterStreamIds {
        static int[] loop(int length, int blocks) {
            int[] ids = new int[length];
            for (int i = 0; i < length; i++) {
                ids[i] = i % blocks;
            }
            return ids;
        }
    }
}
