package dev.tracedb.store.export;

import java.nio.file.Path;

/**
 * What an export wrote.
 *
 * @param file  the complete file
 * @param rows  rows written (not counting the CSV header)
 * @param bytes the file's size
 */
public record ExportResult(Path file, long rows, long bytes) {
}
