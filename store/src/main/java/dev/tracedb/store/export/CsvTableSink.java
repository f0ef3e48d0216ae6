package dev.tracedb.store.export;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes RFC 4180 CSV: a header row of column names, then one line per row. Numbers are written as
 * ASCII digits straight into a byte buffer (no String per value); text is quoted only when it holds
 * a comma, a quote or a line break.
 */
final class CsvTableSink implements TableSink {
    private final OutputStream out;
    private final byte[] buffer = new byte[1 << 16];
    private final byte[] digits = new byte[20];
    private int length;

    CsvTableSink(List<Column> columns, OutputStream out) throws IOException {
        this.out = out;
        for (int c = 0; c < columns.size(); c++) {
            if (c > 0) put((byte) ',');
            text(columns.get(c).name());
        }
        put((byte) '\n');
    }

    @Override
    public void write(ColumnBatch batch) throws IOException {
        List<Column> columns = batch.columns();
        int n = columns.size();
        for (int row = 0; row < batch.rows(); row++) {
            for (int c = 0; c < n; c++) {
                if (c > 0) put((byte) ',');
                switch (columns.get(c).type()) {
                    case INT32 -> number(batch.ints(c)[row]);
                    case INT64 -> number(batch.longs(c)[row]);
                    case UTF8 -> text(batch.strings(c)[row]);
                }
            }
            put((byte) '\n');
        }
    }

    private void number(long value) throws IOException {
        if (length + 21 > buffer.length) flush();
        if (value == Long.MIN_VALUE) {
            byte[] min = Long.toString(value).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(min, 0, buffer, length, min.length);
            length += min.length;
            return;
        }
        if (value < 0) {
            buffer[length++] = '-';
            value = -value;
        }
        int d = digits.length;
        do {
            digits[--d] = (byte) ('0' + value % 10);
            value /= 10;
        } while (value != 0);
        System.arraycopy(digits, d, buffer, length, digits.length - d);
        length += digits.length - d;
    }

    private void text(String value) throws IOException {
        boolean quote = value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\n') >= 0
                || value.indexOf('\r') >= 0;
        String body = quote ? '"' + value.replace("\"", "\"\"") + '"' : value;
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (length + bytes.length > buffer.length) flush();
        if (bytes.length > buffer.length) {
            out.write(bytes);
            return;
        }
        System.arraycopy(bytes, 0, buffer, length, bytes.length);
        length += bytes.length;
    }

    private void put(byte b) throws IOException {
        if (length == buffer.length) flush();
        buffer[length++] = b;
    }

    private void flush() throws IOException {
        out.write(buffer, 0, length);
        length = 0;
    }

    @Override
    public void finish() throws IOException {
        flush();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
