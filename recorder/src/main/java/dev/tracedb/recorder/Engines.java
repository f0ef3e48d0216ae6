package dev.tracedb.recorder;

import dev.tracedb.recorder.step.StepEngine;

/** The engine for each {@link EngineKind}: the one place that knows the implementations. */
public final class Engines {

    private Engines() {}

    /**
     * A new engine of this kind.
     *
     * @throws UnsupportedOperationException if that engine is not implemented yet
     */
    public static Engine create(EngineKind kind) {
        return switch (kind) {
            case STEP -> new StepEngine();
            case DBI -> throw new UnsupportedOperationException(
                    "the DBI engine is not implemented yet; record with --engine step");
        };
    }
}
