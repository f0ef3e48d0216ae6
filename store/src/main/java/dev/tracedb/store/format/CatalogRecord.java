package dev.tracedb.store.format;

import dev.tracedb.store.ExitStatus;
import dev.tracedb.store.RunId;

import java.time.Instant;
import java.util.Objects;

/** An entry of the catalog log. The catalog's state is the fold of these, oldest first. */
public sealed interface CatalogRecord {
    RunId id();

    /** A run was created (written before the run's own log gets its first event). */
    record RunCreated(RunId id, String name, String program, Instant startTime) implements CatalogRecord {
        public RunCreated {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(program, "program");
            Objects.requireNonNull(startTime, "startTime");
        }
    }

    /** A run ended normally (written after the run's {@code RunEnded}). */
    record RunClosed(RunId id, ExitStatus exit, Instant endTime) implements CatalogRecord {
        public RunClosed {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(exit, "exit");
            Objects.requireNonNull(endTime, "endTime");
        }
    }
}
