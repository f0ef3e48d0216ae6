package dev.tracedb.loader.stats;

import java.io.PrintStream;
import java.nio.file.Path;

/** The summary of a measured run on stderr, in the preload shim's words (line for line). Stateless. */
public final class TraceStatsReport {
    private TraceStatsReport() {
    }

    /** The totals, then one line per entered trace, in the stats' order. */
    public static void print(PrintStream err, TraceStats stats) {
        err.println("tracedb: stats for " + stats.cache() + ": " + stats.appliedCount() + " traces applied, "
                + stats.enteredCount() + " entered; " + stats.totalEntries() + " entries, " + stats.totalCompletions()
                + " completions, " + stats.totalExits() + " side exits");
        for (TraceStats.Measured t : stats.traces()) {
            if (t.entries() == 0) continue;
            Path name = Path.of(t.module()).getFileName();
            err.println("tracedb: trace " + t.traceId() + " " + (name == null ? t.module() : name) + "+0x"
                    + Long.toHexString(t.headOffset()) + " entered " + t.entries() + ", completed " + t.completions()
                    + ", side exits " + t.exits());
        }
        err.flush();
    }
}
