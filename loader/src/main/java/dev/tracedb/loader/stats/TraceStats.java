package dev.tracedb.loader.stats;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The counts of one {@code tracedb run --stats}: which cache, which program, and per trace of the
 * cache whether its module was applied, how often it was entered, how often it completed, and
 * where it left early (measured by the cache's counting code).
 *
 * @param id      the file's id in the database ({@code s0003})
 * @param cache   the cache file, as the runner resolved it (absolute)
 * @param cacheId {@link CacheId} of that cache when the program ran
 * @param program the executable ({@code /proc/self/exe})
 * @param args    the program's argv
 * @param started when the shim started (before main)
 * @param ended   when the program exited
 * @param traces  one per trace of the cache, in the order the shim handled them
 */
public record TraceStats(String id, Path cache, int cacheId, String program, List<String> args, long pid,
                         Instant started, Instant ended, List<Measured> traces) {
    public TraceStats {
        Objects.requireNonNull(id, "id");
        args = List.copyOf(args);
        traces = List.copyOf(traces);
    }

    /**
     * One trace's measurement.
     *
     * @param traceId    the trace's id in the cache
     * @param headOffset its head, from the module base
     * @param module     the loaded module's path (the cache's path when it was not applied)
     * @param applied     whether its module got its traces; if not, the counts are 0 and mean nothing
     * @param entries     entries, through the patched head or by a link from another trace (not a
     *                    loop trace's own iterations)
     * @param completions times the whole path ran (a loop trace: iterations)
     * @param exits       side exits, all targets together
     * @param exitCounts  the side exits by target, those taken at least once, in the file's order
     */
    public record Measured(int traceId, long headOffset, String module, boolean applied, long entries,
                           long completions, long exits, List<ExitCount> exitCounts) {
        public Measured {
            exitCounts = List.copyOf(exitCounts);
        }

        /** The side exits to module offset {@code target}; 0 when none was counted there. */
        public long exitsTo(long target) {
            return exitCounts.stream().filter(e -> e.target() == target).mapToLong(ExitCount::count).sum();
        }

        /** Guard mismatches of indirect transfers, whose targets are known only at run time. */
        public long guardExits() {
            return exitsTo(ExitCount.GUARD);
        }
    }

    /**
     * Side exits counted at one target.
     *
     * @param target the module offset the exits went to, or {@link #GUARD} for an indirect
     *               transfer's guard mismatch (the target is known only at run time)
     */
    public record ExitCount(long target, long count) {
        public static final long GUARD = -1;
    }

    public long appliedCount() {
        return traces.stream().filter(Measured::applied).count();
    }

    public long enteredCount() {
        return traces.stream().filter(t -> t.applied() && t.entries() > 0).count();
    }

    public long totalEntries() {
        return traces.stream().mapToLong(Measured::entries).sum();
    }

    public long totalCompletions() {
        return traces.stream().mapToLong(Measured::completions).sum();
    }

    public long totalExits() {
        return traces.stream().mapToLong(Measured::exits).sum();
    }
}
