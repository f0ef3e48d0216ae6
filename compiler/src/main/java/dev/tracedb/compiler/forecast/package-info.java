/**
 * The compiler's forecast: how chosen traces would behave on the recorded runs.
 *
 * <p>{@link dev.tracedb.compiler.forecast.Forecaster#forecast} replays runs against a
 * {@link dev.tracedb.compiler.path.TraceSelection} and returns a
 * {@link dev.tracedb.compiler.cache.Forecast} (stored in the trace cache);
 * {@link dev.tracedb.compiler.forecast.TraceSimulator} is the model underneath (documented there),
 * also used by trace selection to find hot side exits and drop traces that would not pay.
 *
 * <p><b>Thread-safety.</b> {@code Forecaster} is stateless; a {@code TraceSimulator} is confined
 * to the thread streaming into it.
 */
package dev.tracedb.compiler.forecast;
