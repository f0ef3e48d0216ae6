package dev.tracedb.store.export;

import java.util.List;

/**
 * Rows of one table, column by column: {@code int[]} for {@link ColumnType#INT32}, {@code long[]}
 * for {@link ColumnType#INT64}, {@code String[]} for {@link ColumnType#UTF8}. Reused from batch to
 * batch, so a sink must copy what it keeps before the next one arrives.
 */
public final class ColumnBatch {
    private final List<Column> columns;
    private final Object[] data;
    private int rows;

    public ColumnBatch(List<Column> columns, int capacity) {
        this.columns = List.copyOf(columns);
        this.data = new Object[columns.size()];
        for (int c = 0; c < data.length; c++) {
            data[c] = switch (columns.get(c).type()) {
                case INT32 -> new int[capacity];
                case INT64 -> new long[capacity];
                case UTF8 -> new String[capacity];
            };
        }
    }

    public List<Column> columns() {
        return columns;
    }

    public int capacity() {
        return switch (columns.get(0).type()) {
            case INT32 -> ints(0).length;
            case INT64 -> longs(0).length;
            case UTF8 -> strings(0).length;
        };
    }

    public int rows() {
        return rows;
    }

    public void rows(int rows) {
        if (rows < 0 || rows > capacity()) throw new IllegalArgumentException("rows " + rows + " outside 0.." + capacity());
        this.rows = rows;
    }

    public int[] ints(int column) {
        return (int[]) data[column];
    }

    public long[] longs(int column) {
        return (long[]) data[column];
    }

    public String[] strings(int column) {
        return (String[]) data[column];
    }
}
