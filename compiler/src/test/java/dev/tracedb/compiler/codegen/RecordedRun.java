package dev.tracedb.compiler.codegen;

import dev.tracedb.machine.linux.AddressRandomization;
import dev.tracedb.recorder.EngineKind;
import dev.tracedb.recorder.Progress;
import dev.tracedb.recorder.RecordOptions;
import dev.tracedb.recorder.RecordOutcome;
import dev.tracedb.recorder.Recorder;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: a program recorded for real with the DBI engine, read back from its log into
 * memory (modules, blocks, the whole block-id stream; fine for the small runs tests make).
 */
final class RecordedRun {
    /** A fixed environment, so that runs are comparable. */
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C");

    final List<ModuleMapped> modules = new ArrayList<>();
    final Map<Integer, BlockDefined> blocks = new HashMap<>();
    int[] stream = new int[1 << 16];
    int length;

    static Path program(String name) {
        String dir = System.getProperty("tracedb.testprograms");
        Path base = dir != null ? Path.of(dir) : Path.of("../testprograms/target/bin");
        Path program = base.resolve(name).toAbsolutePath().normalize();
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("test program not built: " + program);
        }
        return program;
    }

    static RecordedRun record(Path database, Path stdout, List<String> argv) {
        try (TraceDatabase db = TraceDatabase.open(database)) {
            RecordOptions options = RecordOptions.builder(argv).engine(EngineKind.DBI)
                    .launch(l -> l.environment(ENV).randomization(AddressRandomization.DISABLED).stdout(stdout)).build();
            RecordOutcome outcome = new Recorder(db).record(options, new Progress());
            if (!outcome.status().equals(dev.tracedb.store.ExitStatus.exited(0))) {
                throw new IllegalStateException("recorded run ended with " + outcome.status());
            }
            RecordedRun run = new RecordedRun();
            try (RunReader reader = db.openRun(outcome.runId())) {
                reader.replay(new EventVisitor() {
                    @Override
                    public void moduleMapped(ModuleMapped event) {
                        run.modules.add(event);
                    }

                    @Override
                    public void blockDefined(BlockDefined event) {
                        run.blocks.put(event.blockId(), event);
                    }

                    @Override
                    public void execBatch(ExecBatchHeader header, int[] blockIds) {
                        run.append(blockIds, header.eventCount());
                    }
                });
            }
            return run;
        }
    }

    private void append(int[] ids, int count) {
        if (length + count > stream.length) {
            stream = Arrays.copyOf(stream, Math.max(stream.length * 2, length + count));
        }
        System.arraycopy(ids, 0, stream, length, count);
        length += count;
    }

    /** The module mapped from {@code path}. */
    ModuleMapped module(Path path) {
        return modules.stream().filter(m -> Path.of(m.path()).equals(path)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no module " + path + " in " + modules));
    }
}
