package dev.tracedb.store.journal;

import java.util.Objects;

/**
 * A journal's header.
 *
 * @param version the journal format version ({@link JournalFormat#VERSION})
 * @param runName the run's name: the recorder's {@code --name}, else the file name of {@code argv[0]}
 */
public record JournalHeader(int version, String runName) {
    public JournalHeader {
        Objects.requireNonNull(runName, "runName");
    }
}
