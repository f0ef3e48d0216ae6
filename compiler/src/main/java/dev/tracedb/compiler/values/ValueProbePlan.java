package dev.tracedb.compiler.values;

import dev.tracedb.compiler.codegen.ValueSites;
import dev.tracedb.compiler.path.CodeAddress;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.store.ProbeSite;
import dev.tracedb.store.ProbeWindow;
import dev.tracedb.store.RunReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The value probes a selection needs: its traces' {@link ValueSites} (one load may sit on several
 * traces, or several times on one), each named as the recorder names a probe site, by its module's
 * file name and offset ({@code lua5.4+0x1c479}). Immutable.
 */
public final class ValueProbePlan {
    private final TraceSelection selection;
    private final List<ValueSites.Site> occurrences;
    private final Map<CodeAddress, ProbeSite> sites = new LinkedHashMap<>();

    private ValueProbePlan(TraceSelection selection, List<ValueSites.Site> occurrences) {
        this.selection = selection;
        this.occurrences = List.copyOf(occurrences);
        for (ValueSites.Site s : occurrences) {
            String path = selection.modules().get(s.at().moduleIndex()).path();
            sites.computeIfAbsent(s.at(), at -> new ProbeSite(path.substring(path.lastIndexOf('/') + 1), at.offset()));
        }
    }

    public static ValueProbePlan of(TraceSelection selection) {
        return new ValueProbePlan(selection, ValueSites.of(selection));
    }

    public TraceSelection selection() {
        return selection;
    }

    /** Every guardable load on every trace path (trace id, block, instruction, address). */
    public List<ValueSites.Site> occurrences() {
        return occurrences;
    }

    /** The distinct loads, as probe sites, in the order of their first occurrence. */
    public List<ProbeSite> probeSites() {
        return List.copyOf(sites.values());
    }

    public List<CodeAddress> addresses() {
        return List.copyOf(sites.keySet());
    }

    public boolean isEmpty() {
        return sites.isEmpty();
    }

    /** The sites {@code run} did not probe (all of them for a run without probes). */
    public List<ProbeSite> missingFrom(RunReader run) {
        Optional<ProbeWindow> window = run.probes();
        List<ProbeSite> missing = new ArrayList<>();
        for (Map.Entry<CodeAddress, ProbeSite> e : sites.entrySet()) {
            if (window.isEmpty() || indexIn(window.get(), e.getKey()) < 0) missing.add(e.getValue());
        }
        return missing;
    }

    /** The index of the site at {@code at} among the window's sites, or -1. */
    int indexIn(ProbeWindow window, CodeAddress at) {
        String path = selection.modules().get(at.moduleIndex()).path();
        for (int i = 0; i < window.sites().size(); i++) {
            ProbeSite s = window.sites().get(i);
            if (s.offset() == at.offset() && s.inModule(path)) return i;
        }
        return -1;
    }
}
