package dev.tracedb.compiler.cache;

import dev.tracedb.compiler.path.CodeAddress;
import java.util.List;

/**
 * The compiler's forecast, from replaying the recorded runs against the traces: how often each
 * trace would be entered, how often it runs to its end, where it leaves early, and the share of
 * all executed instructions that would run inside traces.
 */
public record Forecast(long totalInstructions, long instructionsInTraces, List<TraceForecast> traces) {
    public Forecast {
        traces = List.copyOf(traces);
    }

    /** {@code instructionsInTraces / totalInstructions}, 0 for an empty run. */
    public double coverage() {
        return totalInstructions == 0 ? 0 : (double) instructionsInTraces / totalInstructions;
    }

    /**
     * @param entries            times the head was reached and the trace entered
     * @param completions        times the whole path ran (for a loop trace: iterations)
     * @param instructionsInside instructions that would have run inside this trace
     * @param exits              side exits taken, by original address, most frequent first
     */
    public record TraceForecast(int traceId, long entries, long completions, long instructionsInside,
                                List<ExitCount> exits) {
        public TraceForecast {
            exits = List.copyOf(exits);
        }
    }

    /** A side exit to the original code at {@code to}, taken {@code count} times. */
    public record ExitCount(CodeAddress to, long count) {
    }
}
