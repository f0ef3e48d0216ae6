package dev.tracedb.loader.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java writer (the ptrace path's) writes what the reader reads, under growing ids, atomically. */
class TraceStatsWriterTest {
    @TempDir
    Path dir;

    @Test
    void whatIsSavedReadsBackUnderTheNextId() throws Exception {
        TraceStats stats = new TraceStats("-", Path.of("/tmp/a b.tcache"), 0x8e797b1, "/bin/prog",
                List.of("/bin/prog", "two\nlines", "back\\slash"), 4242, Instant.ofEpochMilli(1000), Instant.ofEpochMilli(1250),
                List.of(new TraceStats.Measured(3, 0x1ce8e, "/usr/bin/lua5.4", true, 7260, 69088, 7260,
                                List.of(new TraceStats.ExitCount(0x1bcc0, 3600), new TraceStats.ExitCount(TraceStats.ExitCount.GUARD, 3660))),
                        new TraceStats.Measured(4, 0x97360, "/lib/libc.so.6", false, 0, 0, 0, List.of())));
        Path db = dir.resolve("db");
        assertEquals("s0001", TraceStatsWriter.save(db, stats));
        assertEquals("s0002", TraceStatsWriter.save(db, stats));
        TraceStats back = TraceStatsDirectory.of(db).find("s0002");
        assertEquals(new TraceStats("s0002", stats.cache(), stats.cacheId(), stats.program(), stats.args(), stats.pid(),
                stats.started(), stats.ended(), stats.traces()), back);
        assertEquals(List.of("s0001.tstats", "s0002.tstats"),
                Files.list(db.resolve("trace-stats")).map(p -> p.getFileName().toString()).sorted().toList(),
                "no partial file is left behind");
    }
}
