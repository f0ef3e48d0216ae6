package dev.tracedb.store.export;

import dev.tracedb.store.BlockDefined;
import dev.tracedb.store.EventVisitor;
import dev.tracedb.store.ExecBatchHeader;
import dev.tracedb.store.ModuleMapped;
import dev.tracedb.store.RunReader;
import dev.tracedb.store.SyscallResult;
import dev.tracedb.store.projection.Profile;
import dev.tracedb.store.projection.ProfileCache;
import dev.tracedb.store.query.CodeNames;
import dev.tracedb.store.query.RunCode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;

/** Produces one table's rows from a run, batch by batch, into a {@link TableSink}. */
final class TableRows {
    /** Rows per batch for the small tables (the execution stream uses the log's own batches). */
    private static final int BATCH_ROWS = 1 << 16;
    /** Rows per record batch of the execution stream: big batches keep per-batch costs out of the rate. */
    private static final int EXEC_ROWS = 1 << 20;

    private final RunReader reader;
    private final ExportProgress progress;

    TableRows(RunReader reader, ExportProgress progress) {
        this.reader = reader;
        this.progress = progress;
    }

    long write(ExportTable table, ExecWindow window, TableSink sink) throws IOException {
        return switch (table) {
            case MODULES -> modules(sink);
            case BLOCKS -> blocks(sink);
            case EDGES -> edges(sink);
            case EXEC -> exec(window, sink);
            case SYSCALLS -> syscalls(sink);
        };
    }

    private long modules(TableSink sink) throws IOException {
        RunCode code = RunCode.read(reader);
        Profile profile = ProfileCache.load(reader);
        List<ModuleMapped> modules = code.modules();
        int maxId = modules.stream().mapToInt(ModuleMapped::moduleId).max().orElse(-1);
        long[] instructions = new long[maxId + 1];
        profile.forEachBlock((id, count) -> {
            BlockDefined b = code.block(id);
            instructions[b.moduleId()] += count * b.instructionCount();
        });
        ColumnBatch batch = new ColumnBatch(ExportTable.MODULES.columns(), Math.max(1, modules.size()));
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < modules.size(); i++) {
            ModuleMapped m = modules.get(i);
            batch.ints(0)[i] = m.moduleId();
            batch.strings(1)[i] = m.path();
            batch.longs(2)[i] = m.base();
            batch.longs(3)[i] = m.size();
            batch.strings(4)[i] = hex.formatHex(m.buildId());
            batch.longs(5)[i] = instructions[m.moduleId()];
        }
        batch.rows(modules.size());
        return single(sink, batch);
    }

    private long blocks(TableSink sink) throws IOException {
        RunCode code = RunCode.read(reader);
        Profile profile = ProfileCache.load(reader);
        CodeNames names = CodeNames.of(code);
        ColumnBatch batch = new ColumnBatch(ExportTable.BLOCKS.columns(), BATCH_ROWS);
        long total = 0;
        int n = 0;
        for (int id = 0; id < code.blockCount(); id++) {
            BlockDefined b;
            try {
                b = code.block(id);
            } catch (IllegalArgumentException undefined) {
                continue; // ids are dense in practice; a gap is simply not a row
            }
            ModuleMapped module = code.module(b.moduleId());
            batch.ints(0)[n] = id;
            batch.ints(1)[n] = b.moduleId();
            batch.strings(2)[n] = RunCode.shortName(module);
            batch.longs(3)[n] = b.offset();
            batch.longs(4)[n] = module.base() + b.offset();
            batch.ints(5)[n] = b.bytes().length;
            batch.ints(6)[n] = b.instructionCount();
            batch.strings(7)[n] = b.terminator().name();
            batch.longs(8)[n] = profile.count(id);
            batch.strings(9)[n] = names.function(b.moduleId(), b.offset()).orElse("");
            if (++n == BATCH_ROWS) {
                total += flush(sink, batch, n, total, code.blockCount());
                n = 0;
            }
        }
        if (n > 0 || total == 0) total += flush(sink, batch, n, total, code.blockCount());
        return total;
    }

    private long edges(TableSink sink) throws IOException {
        Profile profile = ProfileCache.load(reader);
        ColumnBatch batch = new ColumnBatch(ExportTable.EDGES.columns(), BATCH_ROWS);
        long[] written = {0};
        int[] n = {0};
        try {
            profile.forEachEdge((from, to, count) -> {
                batch.ints(0)[n[0]] = from;
                batch.ints(1)[n[0]] = to;
                batch.longs(2)[n[0]] = count;
                if (++n[0] == BATCH_ROWS) {
                    written[0] += flushUnchecked(sink, batch, n[0], written[0], profile.edges());
                    n[0] = 0;
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (n[0] > 0 || written[0] == 0) written[0] += flush(sink, batch, n[0], written[0], profile.edges());
        return written[0];
    }

    /**
     * The execution stream, a few log batches at a time: memory holds at most {@link #EXEC_ROWS} rows
     * whatever the run's length. With positions, the instruction column is the batch's first
     * instruction plus the instruction counts of the blocks before each event.
     */
    private long exec(ExecWindow window, TableSink sink) throws IOException {
        long events = reader.blockEventCount();
        if (window.from() > events || (window.from() == events && events > 0)) {
            throw new IllegalArgumentException("the run has " + events + " block events; --from " + window.from()
                    + " is past its end");
        }
        long end = window.end(events);
        long total = end - window.from();
        int[] instructions = RunCode.read(reader).instructionCounts();
        int logBatch = Math.max(1, reader.maxBatchEvents());
        List<Column> columns = ExportTable.EXEC.columns(window);
        ColumnBatch batch = new ColumnBatch(columns, Math.max(logBatch, EXEC_ROWS));
        int[] ids = new int[logBatch];
        boolean positions = window.positions();
        long[] eventColumn = positions ? batch.longs(0) : null;
        long[] instructionColumn = positions ? batch.longs(1) : null;
        int[] idColumn = batch.ints(columns.size() - 1);
        long written = 0;
        int rows = 0;
        for (ExecBatchHeader header : reader.batches()) {
            if (header.endBlockEvent() <= window.from()) continue;
            if (header.firstBlockEvent() >= end) break;
            if (rows + header.eventCount() > batch.capacity()) {
                written += flush(sink, batch, rows, written, total);
                rows = 0;
            }
            reader.readBatch(header, ids);
            int skip = (int) Math.max(0, window.from() - header.firstBlockEvent());
            int stop = (int) Math.min(header.eventCount(), end - header.firstBlockEvent());
            if (positions) {
                long instruction = header.firstInstruction();
                for (int i = 0; i < skip; i++) instruction += instructions[ids[i]];
                long event = header.firstBlockEvent();
                for (int i = skip; i < stop; i++) {
                    int id = ids[i];
                    eventColumn[rows] = event + i;
                    instructionColumn[rows] = instruction;
                    idColumn[rows++] = id;
                    instruction += instructions[id];
                }
            } else {
                System.arraycopy(ids, skip, idColumn, rows, stop - skip);
                rows += stop - skip;
            }
        }
        if (rows > 0 || written == 0) written += flush(sink, batch, rows, written, total);
        return written;
    }

    /** Where the window starts: block event and instruction index, for the Arrow file's metadata. */
    static long[] windowStart(RunReader reader, ExecWindow window) {
        long from = Math.min(window.from(), reader.blockEventCount());
        java.util.Optional<ExecBatchHeader> batch = reader.batchAtBlockEvent(from);
        if (batch.isEmpty()) return new long[] {from, reader.instructionCount()};
        ExecBatchHeader header = batch.get();
        int[] ids = new int[Math.max(1, reader.maxBatchEvents())];
        reader.readBatch(header, ids);
        int[] instructions = RunCode.read(reader).instructionCounts();
        long instruction = header.firstInstruction();
        for (long e = header.firstBlockEvent(); e < from; e++) instruction += instructions[ids[(int) (e - header.firstBlockEvent())]];
        return new long[] {from, instruction};
    }

    private long syscalls(TableSink sink) throws IOException {
        ColumnBatch batch = new ColumnBatch(ExportTable.SYSCALLS.columns(), BATCH_ROWS);
        long total = reader.info().syscalls();
        long[] written = {0};
        int[] n = {0};
        try {
            reader.replay(new EventVisitor() {
                @Override
                public void syscall(SyscallResult event) {
                    int i = n[0];
                    batch.longs(0)[i] = event.blockEvent();
                    batch.ints(1)[i] = event.number();
                    long[] args = event.args();
                    for (int a = 0; a < 6; a++) batch.longs(2 + a)[i] = args[a];
                    batch.longs(8)[i] = event.result();
                    if (++n[0] == BATCH_ROWS) {
                        written[0] += flushUnchecked(sink, batch, n[0], written[0], total);
                        n[0] = 0;
                    }
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (n[0] > 0 || written[0] == 0) written[0] += flush(sink, batch, n[0], written[0], total);
        return written[0];
    }

    private long single(TableSink sink, ColumnBatch batch) throws IOException {
        sink.write(batch);
        progress.rows(batch.rows(), batch.rows());
        return batch.rows();
    }

    private long flush(TableSink sink, ColumnBatch batch, int rows, long before, long total) throws IOException {
        batch.rows(rows);
        sink.write(batch);
        progress.rows(before + rows, total);
        return rows;
    }

    private long flushUnchecked(TableSink sink, ColumnBatch batch, int rows, long before, long total) {
        try {
            return flush(sink, batch, rows, before, total);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
