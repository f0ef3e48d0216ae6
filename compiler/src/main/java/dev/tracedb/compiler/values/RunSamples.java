package dev.tracedb.compiler.values;

import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.store.ProbeWindow;
import dev.tracedb.store.RunReader;
import java.util.Arrays;
import java.util.List;

/**
 * One run's value samples at a plan's sites, in block-event order, held in three parallel arrays
 * (20 bytes a sample: the recorder's default budget of 4 M samples is 80 MB at most). Loaded
 * whole because the log streams samples and blocks in two separate passes, and the chooser must
 * walk both in step. Not thread-safe.
 */
final class RunSamples {
    private long[] events = new long[1024];
    private int[] sites = new int[1024];
    private long[] values = new long[1024];
    private int size;

    /** The samples of {@code run} at {@code addresses} (indices into that list); none if it has no probes. */
    static RunSamples of(RunReader run, ValueProbePlan plan, List<CodeAddress> addresses) {
        RunSamples samples = new RunSamples();
        ProbeWindow window = run.probes().orElse(null);
        if (window == null) return samples;
        int[] siteOfRunSite = new int[window.sites().size()];
        Arrays.fill(siteOfRunSite, -1);
        for (int a = 0; a < addresses.size(); a++) {
            int runSite = plan.indexIn(window, addresses.get(a));
            if (runSite >= 0) siteOfRunSite[runSite] = a;
        }
        run.probedValues((event, site, value) -> {
            int ours = siteOfRunSite[site];
            if (ours >= 0) samples.add(event, ours, value);
        });
        return samples;
    }

    private void add(long event, int site, long value) {
        if (size == events.length) {
            int grown = size * 2;
            events = Arrays.copyOf(events, grown);
            sites = Arrays.copyOf(sites, grown);
            values = Arrays.copyOf(values, grown);
        }
        events[size] = event;
        sites[size] = site;
        values[size] = value;
        size++;
    }

    int size() {
        return size;
    }

    long event(int i) {
        return events[i];
    }

    int site(int i) {
        return sites[i];
    }

    long value(int i) {
        return values[i];
    }
}
