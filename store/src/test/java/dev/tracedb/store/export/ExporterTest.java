package dev.tracedb.store.export;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.StoreTestSupport;
import dev.tracedb.store.internal.ChronicleTraceDatabase;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The export's file discipline and progress, on a run of 300,000 block events written through the
 * store's API (several log batches and more than one record batch): the target keeps its old content
 * until the export is complete, progress reports every batch up to the total, and a failed export
 * leaves no file behind.
 */
class ExporterTest extends StoreTestSupport {
    private static final int EVENTS = 300_000;

    private RunId writeRun(ChronicleTraceDatabase db) {
        try (RunWriter w = db.createRun("export", started("/usr/bin/lua5.4"))) {
            defineBlocks(w, 16);
            int[] ids = new int[EVENTS];
            for (int i = 0; i < EVENTS; i++) ids[i] = (i * 7) % 16;
            w.appendExec(ids, 0, ids.length);
            w.end(ExitStatus.exited(0));
            return w.id();
        }
    }

    @Test
    void theTargetIsReplacedOnlyWhenTheExportIsComplete() throws Exception {
        Path target = tmp.resolve("exec.csv");
        Files.writeString(target, "old\n");
        try (ChronicleTraceDatabase db = openDb(); RunReader reader = db.openRun(writeRun(db))) {
            List<long[]> progress = new ArrayList<>();
            List<String> seenDuringExport = new ArrayList<>();
            ExportResult result = new Exporter(reader).export(ExportTable.EXEC, ExportFormat.CSV, target,
                    new ExecWindow(0, -1, true), (done, total) -> {
                        progress.add(new long[] {done, total});
                        try {
                            seenDuringExport.add(Files.readString(target));
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            assertEquals(EVENTS, result.rows());
            assertTrue(seenDuringExport.stream().allMatch("old\n"::equals), "the old file stays until the rename");
            assertTrue(progress.size() >= 1);
            for (int i = 1; i < progress.size(); i++) assertTrue(progress.get(i)[0] > progress.get(i - 1)[0]);
            assertEquals(EVENTS, progress.get(progress.size() - 1)[0]);
            assertEquals(EVENTS, progress.get(0)[1]);
            List<String> lines = Files.readAllLines(target);
            assertEquals(EVENTS + 1, lines.size());
            assertEquals("block_event,instruction,block_id", lines.get(0));
            // block (i*7)%16 has 1 + id%7 instructions (StoreTestSupport.instructionsOf)
            long instruction = 0;
            for (int i = 0; i < 3; i++) {
                int id = (i * 7) % 16;
                assertEquals(i + "," + instruction + "," + id, lines.get(i + 1));
                instruction += instructionsOf(id);
            }
        }
    }

    @Test
    void aFailedExportLeavesNothingBehind() throws Exception {
        Path target = tmp.resolve("out").resolve("exec.arrow");
        Files.createDirectories(target.getParent());
        Files.writeString(target, "old");
        try (ChronicleTraceDatabase db = openDb(); RunReader reader = db.openRun(writeRun(db))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Exporter(reader)
                    .export(ExportTable.EXEC, ExportFormat.ARROW, target, new ExecWindow(EVENTS + 1, -1, false), ExportProgress.NONE));
            assertEquals("the run has 300000 block events; --from 300001 is past its end", e.getMessage());
        }
        assertEquals("old", Files.readString(target));
        try (Stream<Path> files = Files.list(target.getParent())) {
            assertEquals(List.of(target), files.toList());
        }
    }
}
