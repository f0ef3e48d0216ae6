/**
 * Inputs journals: the file a native (C) {@code tracedb record --engine inputs} writes instead of a
 * Chronicle log, so that no JVM is on the record path. The database turns each finished journal into
 * an ordinary run the next time Java opens it (see {@code dev.tracedb.store.internal.JournalImport}).
 *
 * <p><b>Contract</b> ({@code docs/formats/inputs-journal.md}): a journal is
 * {@code runs/rNNNN/inputs.journal}, a header (magic {@code TDBJRNL1}, i32 version 1, string run
 * name) followed by frames, each an i32 length and exactly one run-log event frame as
 * {@link dev.tracedb.store.format.EventCodec} writes it (type, version, payload, CRC32C). This package
 * reads journals and checks every frame; it knows nothing of Chronicle Queue. A journal that ends
 * inside a frame is a run cut short (its whole frames are good); a bad header, a bad CRC, an event
 * type an inputs run cannot hold, or events out of order are corruption, reported as
 * {@link dev.tracedb.store.journal.CorruptJournalException} naming the file and byte offset.
 *
 * <p><b>Thread-safety.</b> {@link dev.tracedb.store.journal.JournalHeader} is immutable. A
 * {@link dev.tracedb.store.journal.JournalReader} owns an open file and a codec and is confined to
 * one thread.
 */
package dev.tracedb.store.journal;
