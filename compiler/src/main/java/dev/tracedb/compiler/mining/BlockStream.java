package dev.tracedb.compiler.mining;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Streams the block events of one or more runs, in order, as {@link BlockCatalog global block ids}:
 * the one loop every mining and forecasting pass is built on. Each run is replayed from its log;
 * its modules and blocks are entered into the catalog as they are defined (always before the first
 * batch that uses them), so one catalog serves every pass and every run.
 *
 * <p>Nothing per event is kept: a pass's memory is whatever its {@link Sink} keeps.
 */
public final class BlockStream {
    /** Receives the stream. */
    public interface Sink {
        /** A run begins; the previous run's stream has ended (control flow does not continue across runs). */
        default void runStarted(int runIndex, RunReader run) {
        }

        /** One block event. */
        void block(int blockId);

        default void runEnded(int runIndex) {
        }
    }

    private BlockStream() {
    }

    /** A sink that passes every call to {@code first}, then to {@code second}. */
    public static Sink both(Sink first, Sink second) {
        return new Sink() {
            @Override
            public void runStarted(int runIndex, RunReader run) {
                first.runStarted(runIndex, run);
                second.runStarted(runIndex, run);
            }

            @Override
            public void block(int blockId) {
                first.block(blockId);
                second.block(blockId);
            }

            @Override
            public void runEnded(int runIndex) {
                first.runEnded(runIndex);
                second.runEnded(runIndex);
            }
        };
    }

    /** Block events in all {@code runs}: the {@code total} that progress reports count up to. */
    public static long totalEvents(List<RunReader> runs) {
        return runs.stream().mapToLong(RunReader::blockEventCount).sum();
    }

    /**
     * Replays every run in order into {@code sink}.
     *
     * @param phase named in progress reports
     */
    public static void stream(List<RunReader> runs, BlockCatalog catalog, Sink sink, ProgressListener progress,
                              String phase) {
        long total = totalEvents(runs);
        long[] done = {0};
        for (int r = 0; r < runs.size(); r++) {
            RunReader run = runs.get(r);
            sink.runStarted(r, run);
            run.replay(new RunVisitor(catalog, sink, progress, phase, total, done));
            sink.runEnded(r);
        }
        progress.progress(phase, done[0], total);
    }

    /**
     * Checks that the runs are of one program: the same file for {@code argv[0]}, found as the
     * program would have found it (relative to the run's working directory, or on the run's
     * {@code PATH} for a bare name) and with symbolic links resolved where the file still exists.
     *
     * @throws IllegalArgumentException naming the first run that differs, or if there are no runs
     */
    public static void requireSameProgram(List<RunReader> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no runs given");
        String first = programPath(runs.get(0));
        for (RunReader run : runs.subList(1, runs.size())) {
            String program = programPath(run);
            if (!program.equals(first)) {
                throw new IllegalArgumentException(run.id() + " ran " + program + ", but " + runs.get(0).id()
                        + " ran " + first + ": compile runs of one program only");
            }
        }
    }

    /**
     * The file the run's {@code argv[0]} named, as the program would have found it (relative to the
     * run's working directory, or on the run's {@code PATH} for a bare name), with symbolic links
     * resolved if it still exists; {@code argv[0]} itself if it cannot be found.
     */
    public static String programPath(RunReader run) {
        String program = run.started().program();
        Path cwd = Path.of(run.started().cwd());
        Path found = null;
        if (program.contains("/")) {
            found = cwd.resolve(program).normalize();
        } else {
            for (String entry : run.started().environment()) {
                if (!entry.startsWith("PATH=")) continue;
                for (String dir : entry.substring(5).split(":", -1)) {
                    Path candidate = cwd.resolve(dir.isEmpty() ? "." : dir).resolve(program).normalize();
                    if (found == null && Files.isExecutable(candidate)) found = candidate;
                }
            }
        }
        if (found == null) return program;
        try {
            return found.toRealPath().toString();
        } catch (IOException e) {
            return found.toString(); // the file is gone: compare the path it had
        }
    }

    /** Maps one run's module and block ids onto the catalog's and forwards the stream. */
    private static final class RunVisitor implements EventVisitor {
        private final BlockCatalog catalog;
        private final Sink sink;
        private final ProgressListener progress;
        private final String phase;
        private final long total;
        private final long[] done;
        private final Map<Integer, Integer> moduleOfRun = new HashMap<>();
        private int[] blockOfRun = new int[1024];

        RunVisitor(BlockCatalog catalog, Sink sink, ProgressListener progress, String phase, long total, long[] done) {
            this.catalog = catalog;
            this.sink = sink;
            this.progress = progress;
            this.phase = phase;
            this.total = total;
            this.done = done;
            Arrays.fill(blockOfRun, -1);
        }

        @Override
        public void moduleMapped(ModuleMapped event) {
            moduleOfRun.put(event.moduleId(), catalog.module(ModuleKey.of(event), event.size()));
        }

        @Override
        public void blockDefined(BlockDefined event) {
            Integer module = moduleOfRun.get(event.moduleId());
            if (module == null) {
                throw new IllegalStateException("block " + event.blockId() + " names module " + event.moduleId()
                        + ", which the log never mapped");
            }
            if (event.blockId() >= blockOfRun.length) {
                int old = blockOfRun.length;
                blockOfRun = Arrays.copyOf(blockOfRun, Math.max(old * 2, event.blockId() + 1));
                Arrays.fill(blockOfRun, old, blockOfRun.length, -1);
            }
            blockOfRun[event.blockId()] = catalog.block(module, event.offset(), event.bytes(),
                    event.instructionCount(), event.terminator());
        }

        @Override
        public void execBatch(ExecBatchHeader header, int[] blockIds) {
            int[] map = blockOfRun;
            for (int i = 0, n = header.eventCount(); i < n; i++) {
                sink.block(map[blockIds[i]]);
            }
            done[0] += header.eventCount();
            progress.progress(phase, done[0], total);
        }
    }
}
