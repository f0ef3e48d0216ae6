package dev.tracedb.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One line of the catalog: what {@code tracedb runs} lists. Read from the catalog log without
 * opening the run's own log.
 *
 * @param id        the run's id
 * @param name      the name given at creation (defaults to the program's file name)
 * @param program   {@code argv[0]}
 * @param startTime when the run started
 * @param state     recording, complete, or incomplete
 * @param exit      how the program ended; {@code null} unless {@code state} is {@code COMPLETE}
 * @param endTime   when the run ended; {@code null} unless {@code state} is {@code COMPLETE}
 */
public record RunSummary(RunId id, String name, String program, Instant startTime, RunState state,
                         ExitStatus exit, Instant endTime) {
    public RunSummary {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(program, "program");
        Objects.requireNonNull(startTime, "startTime");
        Objects.requireNonNull(state, "state");
    }

    public Optional<ExitStatus> exitStatus() {
        return Optional.ofNullable(exit);
    }

    public Optional<Instant> end() {
        return Optional.ofNullable(endTime);
    }
}
