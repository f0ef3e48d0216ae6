package dev.tracedb.store.export;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The file formats of an export. */
public enum ExportFormat {
    /** Apache Arrow IPC file format (Feather v2): one record batch per log batch or per 64 Ki rows. */
    ARROW,
    /** RFC 4180 CSV with a header row; text quoted only when it needs to be. */
    CSV;

    /** The format named {@code arrow} or {@code csv}; {@link IllegalArgumentException} naming the choices otherwise. */
    public static ExportFormat parse(String name) {
        for (ExportFormat f : values()) {
            if (f.name().equalsIgnoreCase(name)) return f;
        }
        throw new IllegalArgumentException("unknown format '" + name + "' (choose from " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(f -> f.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    }
}
