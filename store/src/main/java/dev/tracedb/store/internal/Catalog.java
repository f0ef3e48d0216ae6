package dev.tracedb.store.internal;

import dev.tracedb.store.format.CatalogRecord;
import dev.tracedb.store.format.EventCodec;
import dev.tracedb.store.format.EventType;
import dev.tracedb.store.format.FormatException;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The catalog: an append-only log of {@link CatalogRecord}s, in the same framing as run logs.
 * Thread-safe (synchronized); across processes Chronicle serialises appends.
 */
final class Catalog implements AutoCloseable {
    private final Path dir;
    private final SingleChronicleQueue queue;
    private final EventCodec codec = new EventCodec();

    Catalog(Path dir) {
        this.dir = dir;
        this.queue = Queues.forWriting(dir);
    }

    synchronized void append(CatalogRecord record) {
        var bytes = codec.encode(record);
        try (ExcerptAppender appender = queue.createAppender()) {
            LogDocuments.write(appender, bytes.array(), bytes.length());
        }
    }

    /** Every record, oldest first. */
    synchronized List<CatalogRecord> readAll() {
        List<CatalogRecord> records = new ArrayList<>();
        LogDocuments docs = new LogDocuments(dir);
        try (ExcerptTailer tailer = queue.createTailer()) {
            while (docs.next(tailer)) {
                try {
                    EventType type = codec.check(docs.buffer(), docs.length());
                    if (type != EventType.RUN_CREATED && type != EventType.RUN_CLOSED) {
                        throw docs.corrupt("catalog holds a " + type + " event");
                    }
                    records.add((CatalogRecord) codec.decode(type, docs.buffer(), docs.length()));
                } catch (FormatException e) {
                    throw docs.corrupt(e);
                }
            }
        }
        return records;
    }

    Path directory() {
        return dir;
    }

    @Override
    public synchronized void close() {
        queue.close();
    }
}
