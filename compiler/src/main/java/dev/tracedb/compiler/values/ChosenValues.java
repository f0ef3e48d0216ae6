package dev.tracedb.compiler.values;

import dev.tracedb.compiler.path.TraceSelection;
import java.util.List;

/**
 * The outcome of {@link ValueGuardChooser}: the selection with its value guards attached, what was
 * seen at every site, and the runs that had no samples at some of the plan's sites.
 */
public record ChosenValues(TraceSelection guarded, List<SiteValues> sites, List<String> runsWithoutSamples) {
    public ChosenValues {
        sites = List.copyOf(sites);
        runsWithoutSamples = List.copyOf(runsWithoutSamples);
    }

    public long guardCount() {
        return sites.stream().filter(SiteValues::guarded).count();
    }
}
