package dev.tracedb.recorder;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;

import java.time.Duration;

/**
 * A finished recording: the run and its totals. The run is complete unless the recorder stepped
 * aside ({@link #steppedAside}): then the log ends there, incomplete, and the program went on
 * natively to the end {@link #status} reports.
 *
 * @param runId        the run written
 * @param status       how the program ended
 * @param blockEvents  block events in the log
 * @param instructions instructions those block events executed
 * @param blocks       distinct blocks defined
 * @param modules      modules mapped
 * @param stops        ptrace stops the engine took (for a step engine, about one per instruction)
 * @param elapsed      wall-clock time from launch to the end of the log
 * @param steppedAside why recording ended before the program did (one line, e.g. its exec), or null
 */
public record RecordOutcome(RunId runId, ExitStatus status, long blockEvents, long instructions, int blocks,
                            int modules, long stops, Duration elapsed, String steppedAside) {

    /** Whether the log holds the program to its end. */
    public boolean complete() {
        return steppedAside == null;
    }

    /** The exit status a shell would report: the exit code, or 128 + N after signal N. */
    public int shellStatus() {
        return status.kind() == ExitStatus.Kind.EXITED ? status.value() : 128 + status.value();
    }
}
