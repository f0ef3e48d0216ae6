package dev.tracedb.store.export;

import java.util.Objects;

/**
 * One exported column.
 *
 * @param name    the column name in Arrow and in the CSV header
 * @param type    its value type
 * @param meaning one line for the schema table in docs/querying.md
 */
public record Column(String name, ColumnType type, String meaning) {
    public Column {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(meaning, "meaning");
    }
}
