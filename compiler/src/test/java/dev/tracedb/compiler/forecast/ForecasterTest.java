package dev.tracedb.compiler.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tracedb.compiler.Recordings;
import dev.tracedb.compiler.cache.Forecast;
import dev.tracedb.compiler.path.TracePath;
import dev.tracedb.compiler.path.TraceSelection;
import dev.tracedb.compiler.select.SelectionOptions;
import dev.tracedb.compiler.select.SelectionResult;
import dev.tracedb.compiler.select.TraceSelector;
import dev.tracedb.store.RunId;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.TraceDatabase;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Forecasting a selection on the runs it came from, on another input, and on another program. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForecasterTest {
    @TempDir
    static Path tmp;
    static TraceDatabase db;
    static RunId mined;
    static RunId otherInput;
    static RunId otherProgram;

    @BeforeAll
    static void record() {
        db = TraceDatabase.open(tmp.resolve("db"));
        mined = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e", String.format(Recordings.LUA_LOOP, 50_000)).run();
        otherInput = Recordings.record(db, tmp, "/usr/bin/lua5.4", "-e",
                "local t = 0 for k = 1, 80000 do t = t + (k % 5) * 3 end print(t)").run();
        otherProgram = Recordings.record(db, tmp, Recordings.testProgram("loops").toString(), "300").run();
    }

    @AfterAll
    static void close() {
        db.close();
    }

    @Test
    void theForecasterAgreesWithSelectionsOwnForecast() {
        try (RunReader run = db.openRun(mined)) {
            SelectionResult result = TraceSelector.select(List.of(run), SelectionOptions.defaults());
            assertTrue(result.selection().traces().size() >= 1);
            assertEquals(result.forecast(), Forecaster.forecast(List.of(run), result.selection()));
        }
    }

    /** The traces are the loop's, not this input's: a loop of the same shape runs inside them. */
    @Test
    void aSelectionForecastsAnotherInputOfTheSameProgram() {
        try (RunReader run = db.openRun(mined); RunReader other = db.openRun(otherInput)) {
            TraceSelection selection = TraceSelector.select(List.of(run), SelectionOptions.defaults()).selection();
            Forecast forecast = Forecaster.forecast(List.of(other), selection);
            assertEquals(other.instructionCount(), forecast.totalInstructions());
            assertTrue(forecast.coverage() > 0.7, "coverage on the other input " + forecast.coverage());
            Forecast.TraceForecast loop = forecast.traces().stream()
                    .max((a, b) -> Long.compare(a.instructionsInside(), b.instructionsInside())).orElseThrow();
            TracePath trace = selection.traces().get(loop.traceId());
            assertTrue(trace.loopsToHead());
            assertTrue(loop.completions() > 50_000, "iterations completed inside the loop trace: " + loop.completions());
        }
    }

    /** Blocks match by module path and build-id: another program's run never enters these traces. */
    @Test
    void anotherProgramNeverEntersTheTraces() {
        try (RunReader run = db.openRun(mined); RunReader loops = db.openRun(otherProgram)) {
            TraceSelection selection = TraceSelector.select(List.of(run), SelectionOptions.defaults()).selection();
            TraceSelection luaOnly = new TraceSelection(selection.modules(), selection.traces().stream()
                    .filter(t -> selection.modules().get(t.head().at().moduleIndex()).path().equals("/usr/bin/lua5.4"))
                    .toList());
            assertTrue(!luaOnly.traces().isEmpty());
            Forecast forecast = Forecaster.forecast(List.of(loops), luaOnly);
            assertEquals(loops.instructionCount(), forecast.totalInstructions());
            assertEquals(0, forecast.instructionsInTraces());
            forecast.traces().forEach(t -> assertEquals(0, t.entries()));
        }
    }

    @Test
    void anEmptySelectionForecastsNothingInside() {
        try (RunReader run = db.openRun(mined)) {
            Forecast forecast = Forecaster.forecast(List.of(run), new TraceSelection(List.of(), List.of()));
            assertEquals(run.instructionCount(), forecast.totalInstructions());
            assertEquals(0.0, forecast.coverage());
        }
    }
}
