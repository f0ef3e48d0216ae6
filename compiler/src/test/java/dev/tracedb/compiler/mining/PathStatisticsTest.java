package dev.tracedb.compiler.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.Terminator;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path statistics are exact: for the hottest heads of a real lua5.4 recording, the count of every
 * prefix of the most frequent path equals a brute-force count over the whole stream, read straight
 * from the log into memory (which mining itself never does).
 */
class PathStatisticsTest {
    @TempDir
    Path tmp;

    @Test
    void prefixCountsEqualABruteForceCountOverTheStream() {
        try (TraceDatabase db = TraceDatabase.open(tmp.resolve("db"))) {
            Recordings.Recorded recorded = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e",
                    String.format(Recordings.LUA_LOOP, 3000));
            try (RunReader run = db.openRun(recorded.run())) {
                BlockCatalog catalog = new BlockCatalog();
                BlockProfile profile = BlockProfile.mine(List.of(run), catalog, ProgressListener.NONE);
                int[] stream = streamByAddress(run, catalog);
                assertEquals(profile.events(), stream.length);

                int[] heads = IntStream.range(0, catalog.size()).boxed()
                        .sorted((a, b) -> Long.compare(profile.count(b), profile.count(a)))
                        .limit(12).mapToInt(Integer::intValue).toArray();
                int maxDepth = 40;
                PathStatistics paths = PathStatistics.mine(List.of(run), catalog, heads, maxDepth, 1_000_000,
                        ProgressListener.NONE);
                for (int head : heads) {
                    assertEquals(profile.count(head), paths.count(paths.root(head)), "root count is the head's count");
                    List<Integer> path = new ArrayList<>(List.of(head));
                    int node = paths.root(head);
                    int checked = 0;
                    while ((node = paths.mostFrequentChild(node)) >= 0) {
                        path.add(paths.blockAt(node));
                        assertEquals(bruteForce(stream, path, catalog, maxDepth), paths.count(node),
                                "occurrences of " + path);
                        checked++;
                    }
                    assertTrue(checked > 0, "head " + head + " has a recorded continuation");
                }
            }
        }
    }

    /**
     * How often the stream holds {@code path} starting at an occurrence of its head, where the
     * sequence after the head stops (as a cursor does) at the head's return, a block in another
     * module, a system call, or the depth limit.
     */
    private static long bruteForce(int[] stream, List<Integer> path, BlockCatalog catalog, int maxDepth) {
        int head = path.get(0);
        long count = 0;
        for (int i = 0; i + path.size() <= stream.length; i++) {
            if (stream[i] != head) continue;
            boolean match = true;
            for (int k = 1; k < path.size() && match; k++) {
                int before = stream[i + k - 1];
                boolean cursorEnded = k > 1 && (before == head || catalog.moduleOf(before) != catalog.moduleOf(head)
                        || catalog.terminator(before) == Terminator.SYSCALL
                        || catalog.terminator(before) == Terminator.OTHER);
                match = !cursorEnded && k <= maxDepth && stream[i + k] == path.get(k);
            }
            if (match) count++;
        }
        return count;
    }

    /** The whole stream as catalog ids, matched by module key, offset and length from the log's own events. */
    private static int[] streamByAddress(RunReader run, BlockCatalog catalog) {
        Map<Integer, Integer> modules = new HashMap<>();
        Map<Integer, Integer> blocks = new HashMap<>();
        int[][] out = {new int[1 << 16]};
        int[] size = {0};
        run.replay(new EventVisitor() {
            @Override
            public void moduleMapped(ModuleMapped m) {
                modules.put(m.moduleId(), catalog.findModule(new ModuleKey(m.path(), HexFormat.of().formatHex(m.buildId()))));
            }

            @Override
            public void blockDefined(BlockDefined b) {
                blocks.put(b.blockId(), catalog.find(modules.get(b.moduleId()), b.offset(), b.bytes().length));
            }

            @Override
            public void execBatch(ExecBatchHeader header, int[] ids) {
                for (int i = 0; i < header.eventCount(); i++) {
                    if (size[0] == out[0].length) out[0] = java.util.Arrays.copyOf(out[0], size[0] * 2);
                    out[0][size[0]++] = blocks.get(ids[i]);
                }
            }
        });
        return java.util.Arrays.copyOf(out[0], size[0]);
    }
}
