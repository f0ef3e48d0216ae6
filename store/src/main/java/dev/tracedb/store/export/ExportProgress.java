package dev.tracedb.store.export;

/** Told how far an export has got, after each batch of rows. */
@FunctionalInterface
public interface ExportProgress {
    ExportProgress NONE = (done, total) -> { };

    /**
     * @param done  rows written so far
     * @param total rows the export will write
     */
    void rows(long done, long total);
}
