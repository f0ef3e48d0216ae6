package dev.tracedb.recorder.inputs;

import dev.tracedb.recorder.Engine;
import dev.tracedb.recorder.Recording;
import dev.tracedb.store.ExitStatus;

/**
 * The inputs engine: the program runs natively, and only what it receives from outside is logged
 * (syscall results and the bytes they wrote, rdtsc values, signals), rr-style, so that
 * {@code tracedb expand} can re-execute it under the DBI engine and rebuild the full block log.
 * See {@link InputsSession} for the loop and the package comment for what is supported.
 *
 * <p>The program must be launched with ASLR disabled and the vDSO hidden
 * ({@link dev.tracedb.recorder.RecordOptions} does both for this engine), as its expansion will be.
 */
public final class InputsEngine implements Engine {

    @Override
    public ExitStatus record(Recording recording) {
        // One task on the tracer thread for the whole run: every ptrace call is then inline.
        return recording.tracee().tracer().call(() -> new InputsSession(recording).run());
    }
}
