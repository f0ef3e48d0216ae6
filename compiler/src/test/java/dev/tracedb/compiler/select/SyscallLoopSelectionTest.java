package dev.tracedb.compiler.select;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.TraceChecks;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A hot loop that makes a system call every iteration (testprograms/src/syscall-loop.c, static). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SyscallLoopSelectionTest {
    @TempDir
    Path tmp;

    @Test
    void tracesEndBeforeTheSystemCallAndContinueAtIt() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp,
                    Recordings.testProgram("syscall-loop-static").toString(), "3000");
            try (RunReader run = db.openRun(recorded.run())) {
                Set<Long> syscallBlocks = new HashSet<>();
                run.replay(new EventVisitor() {
                    @Override
                    public void blockDefined(BlockDefined b) {
                        if (b.terminator() == Terminator.SYSCALL) syscallBlocks.add(b.offset());
                    }
                });
                // The stop rules are under test, not profitability: this loop's trace only straightens
                // its own loop, which saves no taken branch, so the default options drop it (checked below).
                SelectionOptions everyTrace = SelectionOptions.builder().minBranchesSavedPerEntry(0).minModuleSavedShare(0).build();
                SelectionResult result = TraceSelector.select(List.of(run), everyTrace);
                TraceChecks.assertTraceRules(result.selection(), SelectionOptions.defaults().maxBlocks());
                TraceChecks.assertPathsAreRecordedEdges(List.of(run), result.selection());
                TraceChecks.assertForecastAddsUp(List.of(run), result.selection(), result.forecast());
                TraceChecks.assertHeadPatchesAreSafe(List.of(run), result.selection());
                List<TracePath> beforeSyscall = result.selection().traces().stream()
                        .filter(t -> syscallBlocks.contains(t.continuation().offset())).toList();
                assertTrue(!beforeSyscall.isEmpty(), "a trace stops right before the getuid system call: " + result.summary()
                        + result.selection().traces());
                assertTrue(result.forecast().coverage() > 0.5, "coverage " + result.forecast().coverage());

                SelectionSummary profitable = TraceSelector.select(List.of(run), SelectionOptions.defaults()).summary();
                assertTrue(profitable.tracesDropped().stream().anyMatch(d -> d.reason().equals("would save no taken branch")),
                        "the default options drop a trace that saves no taken branch: " + profitable);
            }
        }
    }
}
