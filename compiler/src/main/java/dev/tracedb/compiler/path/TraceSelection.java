package dev.tracedb.compiler.path;

import java.util.List;

/**
 * What trace selection hands to code generation: the modules (indexed by
 * {@link CodeAddress#moduleIndex()}) and the chosen traces, hottest first.
 */
public record TraceSelection(List<TraceModule> modules, List<TracePath> traces) {
    public TraceSelection {
        modules = List.copyOf(modules);
        traces = List.copyOf(traces);
        for (TracePath t : traces) {
            if (t.head().at().moduleIndex() >= modules.size()) {
                throw new IllegalArgumentException("trace " + t.traceId() + " names an unknown module");
            }
        }
    }
}
