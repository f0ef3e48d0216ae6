package dev.tracedb.store.internal;

import dev.tracedb.store.NoSuchRunException;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunSummary;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Turns what a user typed into one run: exact id, then exact name, then a unique prefix of an id
 * or a name. Ambiguity is an error that lists the candidates, never a guess.
 */
final class RunResolver {
    private RunResolver() {
    }

    static RunSummary resolve(List<RunSummary> runs, String ref) {
        if (ref == null || ref.isBlank()) throw new NoSuchRunException("empty run reference");
        if (RunId.isRunId(ref)) {
            RunId id = RunId.parse(ref);
            for (RunSummary r : runs) {
                if (r.id().equals(id)) return r;
            }
        }
        List<RunSummary> byName = runs.stream().filter(r -> r.name().equals(ref)).toList();
        if (byName.size() == 1) return byName.get(0);
        if (byName.size() > 1) throw ambiguous(ref, "name", byName);
        List<RunSummary> byPrefix = runs.stream()
                .filter(r -> r.id().toString().startsWith(ref) || r.name().startsWith(ref)).toList();
        if (byPrefix.size() == 1) return byPrefix.get(0);
        if (byPrefix.isEmpty()) throw new NoSuchRunException("no run matches '" + ref + "'");
        throw ambiguous(ref, "prefix", byPrefix);
    }

    private static NoSuchRunException ambiguous(String ref, String how, List<RunSummary> candidates) {
        return new NoSuchRunException("'" + ref + "' is ambiguous (" + how + " of " + candidates.size() + " runs: "
                + candidates.stream().map(r -> r.id() + " " + r.name()).collect(Collectors.joining(", "))
                + "); use a run id");
    }
}
