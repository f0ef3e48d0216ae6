package dev.tracedb.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A query's result: named columns and rows of plain values ({@code Long}, {@code Double}, {@code String}),
 * printed as an aligned table for people, or as JSON or CSV for scripts. Numbers stay numbers in
 * JSON and CSV; only the table adds thousands separators.
 */
final class ResultTable {

    /** How a result is printed: {@code --format}. */
    enum Format { TABLE, JSON, CSV }

    private final String[] names;
    private final List<Object[]> rows = new ArrayList<>();

    ResultTable(String... names) {
        this.names = names;
    }

    ResultTable row(Object... cells) {
        if (cells.length != names.length) {
            throw new IllegalArgumentException("expected " + names.length + " cells, got " + cells.length);
        }
        rows.add(cells);
        return this;
    }

    int size() {
        return rows.size();
    }

    void print(PrintWriter out, Format format, String indent) {
        switch (format) {
            case TABLE -> table(out, indent);
            case JSON -> json(out);
            case CSV -> csv(out);
        }
        out.flush();
    }

    private void table(PrintWriter out, String indent) {
        Table table = new Table(header());
        for (int c = 0; c < names.length; c++) {
            if (!rows.isEmpty() && rows.get(0)[c] instanceof Number) table.alignRight(c);
        }
        for (Object[] row : rows) {
            Object[] cells = new Object[row.length];
            for (int c = 0; c < row.length; c++) cells[c] = human(row[c]);
            table.row(cells);
        }
        table.print(out, indent);
    }

    private String[] header() {
        String[] header = new String[names.length];
        for (int c = 0; c < names.length; c++) header[c] = names[c].toUpperCase(Locale.ROOT).replace('_', ' ');
        return header;
    }

    private static String human(Object value) {
        if (value instanceof Double d) return String.format(Locale.ROOT, "%.2f", d);
        if (value instanceof Long || value instanceof Integer) return Formats.count(((Number) value).longValue());
        return String.valueOf(value);
    }

    private void json(PrintWriter out) {
        out.println("[");
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("  {");
            Object[] row = rows.get(r);
            for (int c = 0; c < names.length; c++) {
                if (c > 0) line.append(", ");
                line.append(jsonString(names[c])).append(": ").append(jsonValue(row[c]));
            }
            line.append(r + 1 < rows.size() ? "}," : "}");
            out.println(line);
        }
        out.println("]");
    }

    private static String jsonValue(Object value) {
        if (value instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? "null"
                    : java.math.BigDecimal.valueOf(d).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
        }
        if (value instanceof Number) return value.toString();
        return value == null ? "null" : jsonString(value.toString());
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }

    private void csv(PrintWriter out) {
        out.println(String.join(",", List.of(names).stream().map(ResultTable::csvCell).toList()));
        for (Object[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                if (c > 0) line.append(',');
                line.append(row[c] instanceof Double d ? String.format(Locale.ROOT, "%.6f", d) : csvCell(String.valueOf(row[c])));
            }
            out.println(line);
        }
    }

    private static String csvCell(String s) {
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0;
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }
}
