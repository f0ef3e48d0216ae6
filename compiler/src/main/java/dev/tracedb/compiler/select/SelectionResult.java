package dev.tracedb.compiler.select;

import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.path.TraceSelection;
import java.util.Objects;

/**
 * The outcome of {@link TraceSelector#select}: the traces for code generation, the forecast of
 * exactly those traces on the recorded runs (trace ids match), and a summary of the decisions.
 */
public record SelectionResult(TraceSelection selection, Forecast forecast, SelectionSummary summary) {
    public SelectionResult {
        Objects.requireNonNull(selection, "selection");
        Objects.requireNonNull(forecast, "forecast");
        Objects.requireNonNull(summary, "summary");
    }
}
