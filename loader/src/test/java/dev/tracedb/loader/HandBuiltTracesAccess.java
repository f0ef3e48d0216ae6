package dev.tracedb.loader;

import dev.tracedb.compiler.cache.TraceCache;
import java.io.IOException;
import java.nio.file.Path;

/** {@link HandBuiltTraces} for tests in other packages. */
public final class HandBuiltTracesAccess {
    private final HandBuiltTraces traces;

    public HandBuiltTracesAccess(Path program) throws IOException {
        this.traces = new HandBuiltTraces(program);
    }

    public TraceCache transparent() {
        return traces.transparent();
    }

    public TraceCache marker() {
        return traces.marker();
    }

    public TraceCache forAnotherBuild() {
        return traces.forAnotherBuild();
    }

    public TraceCache fromChangedBytes() {
        return traces.fromChangedBytes();
    }
}
