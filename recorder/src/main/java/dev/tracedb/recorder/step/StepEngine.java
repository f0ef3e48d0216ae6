package dev.tracedb.recorder.step;

import dev.tracedb.recorder.Engine;
import dev.tracedb.recorder.Recording;
import dev.tracedb.store.ExitStatus;

/**
 * The reference engine: single-steps the program with ptrace, one stop per instruction (per
 * iteration for {@code rep} string instructions), and logs exactly what retired. Slow (tens of
 * microseconds per instruction) and simple enough to trust; see {@link StepSession} for the rules.
 */
public final class StepEngine implements Engine {

    @Override
    public ExitStatus record(Recording recording) {
        // One task on the tracer thread for the whole run: every ptrace call is then inline.
        return recording.tracee().tracer().call(() -> new StepSession(recording).run());
    }
}
