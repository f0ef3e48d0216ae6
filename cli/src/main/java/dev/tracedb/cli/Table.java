package dev.tracedb.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A plain text table for people: a header row and left-aligned columns as wide as their widest cell. */
final class Table {

    private final List<String[]> rows = new ArrayList<>();
    private final int columns;
    private final boolean[] rightAligned;
    private final boolean hasHeader;

    /** A table whose first row is {@code header}. */
    Table(String... header) {
        this(true, header);
    }

    private Table(boolean hasHeader, String... header) {
        this.columns = header.length;
        this.rightAligned = new boolean[columns];
        this.hasHeader = hasHeader;
        if (hasHeader) {
            rows.add(header);
        }
    }

    /** A headerless two-column table of facts: {@code name  value}. */
    static Table facts() {
        return new Table(false, "name", "value");
    }

    /** Right-aligns column {@code index} (numbers read better that way). */
    Table alignRight(int index) {
        rightAligned[index] = true;
        return this;
    }

    Table row(Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        rows.add(Arrays.stream(cells).map(String::valueOf).toArray(String[]::new));
        return this;
    }

    int size() {
        return hasHeader ? rows.size() - 1 : rows.size();
    }

    void print(PrintWriter out, String indent) {
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(indent);
            for (int c = 0; c < columns; c++) {
                boolean last = c == columns - 1;
                String pad = " ".repeat(widths[c] - row[c].length());
                line.append(rightAligned[c] ? pad + row[c] : last ? row[c] : row[c] + pad);
                if (!last) {
                    line.append("  ");
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
