package dev.tracedb.recorder;

import dev.tracedb.recorder.dbi.DbiEngine;
import dev.tracedb.recorder.inputs.InputsEngine;
import dev.tracedb.recorder.step.StepEngine;

/** The engine for each {@link EngineKind}: the one place that knows the implementations. */
public final class Engines {

    private Engines() {}

    /** A new engine of this kind. */
    public static Engine create(EngineKind kind, ValueProbeOptions probes) {
        if (!probes.any()) return create(kind);
        if (kind != EngineKind.DBI) {
            throw new IllegalArgumentException("value probes need the dbi engine (--engine dbi), not "
                    + kind.name().toLowerCase(java.util.Locale.ROOT));
        }
        return new DbiEngine().probing(probes);
    }

    public static Engine create(EngineKind kind) {
        return switch (kind) {
            case STEP -> new StepEngine();
            case DBI -> new DbiEngine();
            case INPUTS -> new InputsEngine();
        };
    }
}
