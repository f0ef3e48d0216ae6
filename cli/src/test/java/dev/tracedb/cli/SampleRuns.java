package dev.tracedb.cli;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.MachineInfo;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunStarted;
import dev.tracedb.store.RunWriter;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Writes runs through the store's public API, as the recorder will: a module, three blocks forming
 * a loop, and a stream of block events. The block bytes are real x86-64 (a counted loop).
 */
final class SampleRuns {

    static final int LOOP_ITERATIONS = 1000;

    private SampleRuns() {}

    /** A run that ended with exit status 0: 1 + 1000 * 2 + 1 block events. */
    static RunId complete(Path database, String name) {
        return write(database, name, true);
    }

    /** A run whose writer closed without {@code end}, as if the recorder had been killed. */
    static RunId incomplete(Path database, String name) {
        return write(database, name, false);
    }

    /**
     * {@link #complete} with a value probe on the loop's {@code dec ecx} ({@code loop+0x1005}): the
     * sample of block event 1 + i is ecx after it, 999 - i; the budget cut sampling off at block event 501.
     */
    static RunId probed(Path database, String name) {
        return write(database, name, true, true);
    }

    private static RunId write(Path database, String name, boolean end) {
        return write(database, name, end, false);
    }

    private static RunId write(Path database, String name, boolean end, boolean probed) {
        RunStarted started = new RunStarted(List.of("/usr/bin/loop", "--count", "1000"), "/tmp",
                List.of("PATH=/usr/bin", "LANG=C"), MachineInfo.current(), Instant.parse("2026-11-25T02:00:00Z"));
        try (TraceDatabase db = TraceDatabase.open(database);
             RunWriter writer = db.createRun(name, started)) {
            writer.moduleMapped(new ModuleMapped(0, "/usr/bin/loop", 0x555555554000L, 0x2000,
                    new byte[] {(byte) 0xab, (byte) 0xcd}, new byte[32]));
            // mov ecx, 1000 ; loop: dec ecx ; jnz loop ; ret
            writer.defineBlock(new BlockDefined(0, 0, 0x1000, new byte[] {(byte) 0xb9, (byte) 0xe8, 0x03, 0, 0}, 1,
                    Terminator.FALL_THROUGH));
            writer.defineBlock(new BlockDefined(1, 0, 0x1005, new byte[] {(byte) 0xff, (byte) 0xc9, 0x75, (byte) 0xfc},
                    2, Terminator.CONDITIONAL));
            writer.defineBlock(new BlockDefined(2, 0, 0x1009, new byte[] {(byte) 0xc3}, 1, Terminator.RETURN));
            if (probed) {
                writer.probeSites(List.of(dev.tracedb.store.ProbeSite.parse("loop+0x1005")), 0);
            }
            writer.appendExec(0);
            for (int i = 0; i < LOOP_ITERATIONS; i++) {
                writer.appendExec(1);
            }
            if (probed) {
                int n = 500;
                long[] events = new long[n];
                long[] values = new long[n];
                for (int i = 0; i < n; i++) {
                    events[i] = 1 + i;
                    values[i] = LOOP_ITERATIONS - 1 - i;
                }
                writer.probeSamples(events, new int[n], values, n, 1 + n);
                writer.probeWindowEnd(1 + n, true);
            }
            writer.appendExec(2);
            writer.syscall(60, new long[] {0, 0, 0, 0, 0, 0}, 0);
            if (end) {
                writer.end(ExitStatus.exited(0));
            }
            return writer.id();
        }
    }
}
