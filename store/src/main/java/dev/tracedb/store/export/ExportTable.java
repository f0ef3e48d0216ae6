package dev.tracedb.store.export;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import static dev.tracedb.store.export.ColumnType.INT32;
import static dev.tracedb.store.export.ColumnType.INT64;
import static dev.tracedb.store.export.ColumnType.UTF8;

/** The tables a run exports, and their columns: the export's schema, in one place. */
public enum ExportTable {
    MODULES(List.of(
            new Column("module_id", INT32, "the module's id in this run"),
            new Column("path", UTF8, "the mapped file ([vdso] for the vDSO)"),
            new Column("base", INT64, "where file offset 0 was mapped in the recorded process"),
            new Column("size", INT64, "bytes mapped"),
            new Column("build_id", UTF8, "the ELF build-id in hex, empty if none"),
            new Column("instructions", INT64, "instructions executed in the module"))),
    BLOCKS(List.of(
            new Column("block_id", INT32, "the block's id in this run"),
            new Column("module_id", INT32, "its module"),
            new Column("module", UTF8, "the module's file name"),
            new Column("offset", INT64, "offset of its first instruction from the module's base"),
            new Column("address", INT64, "its address in the recorded process"),
            new Column("size", INT32, "bytes of code"),
            new Column("instructions", INT32, "instructions in the block"),
            new Column("terminator", UTF8, "how it ends: FALL_THROUGH, JUMP, CONDITIONAL, CALL, INDIRECT_JUMP, INDIRECT_CALL, RETURN, SYSCALL, OTHER"),
            new Column("executions", INT64, "how often it ran"),
            new Column("function", UTF8, "the function holding it (symbol+0xoffset), empty if no symbol is known"))),
    EDGES(List.of(
            new Column("from_block", INT32, "a block"),
            new Column("to_block", INT32, "the block that ran right after it"),
            new Column("count", INT64, "how often that happened"))),
    /**
     * The stream itself: row {@code i} is block event {@code from + i}. Positions are left implicit by
     * default because every byte per row costs throughput (4 bytes per block event); see
     * {@link #EXEC_WITH_POSITIONS}.
     */
    EXEC(List.of(
            new Column("block_id", INT32, "the block that ran; row i is block event --from + i"))),
    SYSCALLS(List.of(
            new Column("block_event", INT64, "block events executed before the call"),
            new Column("number", INT32, "the syscall number (x86-64)"),
            new Column("arg0", INT64, "rdi"),
            new Column("arg1", INT64, "rsi"),
            new Column("arg2", INT64, "rdx"),
            new Column("arg3", INT64, "r10"),
            new Column("arg4", INT64, "r8"),
            new Column("arg5", INT64, "r9"),
            new Column("result", INT64, "rax on return (negative errno on failure)")));

    /** The exec table's columns with {@code --positions}: where each block event sits in the run. */
    public static final List<Column> EXEC_WITH_POSITIONS = List.of(
            new Column("block_event", INT64, "position in the stream of block events (0-based)"),
            new Column("instruction", INT64, "index of the block's first instruction in the run"),
            new Column("block_id", INT32, "the block that ran"));

    private final List<Column> columns;

    ExportTable(List<Column> columns) {
        this.columns = columns;
    }

    public List<Column> columns() {
        return columns;
    }

    /** The columns an export with this window writes (only {@link #EXEC} depends on it). */
    public List<Column> columns(ExecWindow window) {
        return this == EXEC && window.positions() ? EXEC_WITH_POSITIONS : columns;
    }

    /** The table's name as users type it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The table named {@code name}; {@link IllegalArgumentException} naming the choices otherwise.
     * {@code traces} is named specially: its rows come from a trace cache, not from a run.
     */
    public static ExportTable parse(String name) {
        for (ExportTable t : values()) {
            if (t.label().equals(name.toLowerCase(Locale.ROOT))) return t;
        }
        if (name.equalsIgnoreCase("traces")) {
            throw new IllegalArgumentException("table 'traces' comes from a trace cache, not from a run: "
                    + "tracedb export --table traces --cache FILE.tcache");
        }
        throw new IllegalArgumentException("unknown table '" + name + "' (choose from " + names() + "; or traces, with --cache)");
    }

    public static String names() {
        return Arrays.stream(values()).map(ExportTable::label).collect(Collectors.joining(", "));
    }
}
