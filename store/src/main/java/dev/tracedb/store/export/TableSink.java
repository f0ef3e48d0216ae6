package dev.tracedb.store.export;

import java.io.IOException;

/** Where exported rows go: one file format. Rows arrive in batches; {@link #finish()} completes the file. */
interface TableSink extends AutoCloseable {

    void write(ColumnBatch batch) throws IOException;

    /** Writes whatever ends the file (an Arrow footer); the file is complete afterwards. */
    void finish() throws IOException;

    /** Frees resources; after a failure the (temporary) file is incomplete and will be deleted. */
    @Override
    void close() throws IOException;
}
