package dev.tracedb.compiler.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.mining.BlockCatalog;
import dev.tracedb.compiler.mining.BlockProfile;
import dev.tracedb.compiler.mining.BlockStream;
import dev.tracedb.compiler.mining.ProgressListener;
import dev.tracedb.machine.elf.ElfImage;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Traces are switched on at the program's entry point, as the loader applies them. */
class TraceSimulatorTest {
    @TempDir
    Path tmp;

    @Test
    void tracesAreOnFromTheProgramsEntryNotFromTheDynamicLoadersFirstInstruction() {
        Path loops = Recordings.testProgram("loops");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, loops.toString(), "20");
            try (RunReader run = db.openRun(recorded.run())) {
                ProgramEntry entry = ProgramEntry.of(run).orElseThrow();
                assertEquals(loops.toString(), entry.module().path());
                assertEquals(ElfImage.read(loops).entry(), entry.offset(), "a PIE's module offsets are its link-time addresses");

                BlockCatalog catalog = new BlockCatalog();
                BlockProfile.mine(List.of(run), catalog, ProgressListener.NONE);
                int[] first = {-1};
                BlockStream.stream(List.of(run), catalog, block -> {
                    if (first[0] < 0) first[0] = block;
                }, ProgressListener.NONE, "first");
                assertTrue(catalog.moduleInfo(catalog.moduleOf(first[0])).path().contains("ld-linux"),
                        "recording starts in the dynamic loader");
                int entryBlock = -1;
                for (int b = 0; b < catalog.size(); b++) {
                    if (catalog.offset(b) == entry.offset() && catalog.moduleKey(catalog.moduleOf(b)).equals(entry.module())) {
                        entryBlock = b;
                    }
                }
                assertTrue(entryBlock >= 0, "the entry point is a recorded block");

                List<SimulatedTrace> traces = List.of(
                        new SimulatedTrace(new int[] {first[0]}, catalog.moduleOf(first[0]), 0),
                        new SimulatedTrace(new int[] {entryBlock}, catalog.moduleOf(entryBlock), 0));
                TraceSimulator fromStart = TraceSimulator.simulate(List.of(run), catalog, traces, null, ProgressListener.NONE);
                assertEquals(1, fromStart.entries(0));
                assertEquals(1, fromStart.entries(1));
                TraceSimulator fromEntry = TraceSimulator.simulate(List.of(run), catalog, traces, entry, ProgressListener.NONE);
                assertEquals(0, fromEntry.entries(0), "the dynamic loader's start runs before the loader patches");
                assertEquals(1, fromEntry.entries(1), "the entry block itself is already patched");
                assertEquals(run.instructionCount(), fromEntry.totalInstructions());
            }
        }
    }

    @Test
    void aStaticExecutablesEntryIsItsLinkTimeAddressMinusItsLoadAddress() {
        Path loops = Recordings.testProgram("loops-static");
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, loops.toString(), "5");
            try (RunReader run = db.openRun(recorded.run())) {
                ProgramEntry entry = ProgramEntry.of(run).orElseThrow();
                assertEquals(ElfImage.read(loops).entry() - 0x400000, entry.offset());
            }
        }
    }
}
