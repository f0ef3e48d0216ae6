package dev.tracedb.store.export;

/** The value types of exported columns: Arrow {@code Int(32, signed)}, {@code Int(64, signed)}, {@code Utf8}. */
public enum ColumnType {
    INT32, INT64, UTF8
}
