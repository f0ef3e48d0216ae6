package dev.tracedb.recorder;

import dev.tracedb.store.ProbeSite;
import java.util.List;

/**
 * Which instructions' destination registers to sample (value probes, DBI engine only) and how many
 * samples at most; {@link #NONE} for a recording without probes. Immutable.
 */
public record ValueProbeOptions(List<ProbeSite> sites, long budget) {
    /** Samples kept at most unless told otherwise. */
    public static final long DEFAULT_BUDGET = 4_000_000;
    public static final ValueProbeOptions NONE = new ValueProbeOptions(List.of(), DEFAULT_BUDGET);

    public ValueProbeOptions {
        sites = List.copyOf(sites);
        if (budget < 1) throw new IllegalArgumentException("the probe budget must be at least 1 sample: " + budget);
    }

    public boolean any() {
        return !sites.isEmpty();
    }
}
