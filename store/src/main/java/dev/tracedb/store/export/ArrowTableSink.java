package dev.tracedb.store.export;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes an Arrow IPC file: the schema, then one record batch per {@link ColumnBatch}. The vectors'
 * buffers are reused from batch to batch and filled with bulk copies from the batch's arrays (no
 * per-value calls), which is what makes the execution stream export at hundreds of millions of rows
 * per second.
 */
final class ArrowTableSink implements TableSink {
    private final BufferAllocator allocator = new RootAllocator();
    private final VectorSchemaRoot root;
    private final ArrowFileWriter writer;

    ArrowTableSink(List<Column> columns, FileChannel channel, Map<String, String> metadata) throws IOException {
        List<Field> fields = new ArrayList<>();
        for (Column column : columns) {
            ArrowType type = switch (column.type()) {
                case INT32 -> new ArrowType.Int(32, true);
                case INT64 -> new ArrowType.Int(64, true);
                case UTF8 -> ArrowType.Utf8.INSTANCE;
            };
            fields.add(new Field(column.name(), new FieldType(false, type, null, Map.of("meaning", column.meaning())), null));
        }
        root = VectorSchemaRoot.create(new Schema(fields, metadata), allocator);
        writer = new ArrowFileWriter(root, null, channel);
        writer.start();
    }

    @Override
    public void write(ColumnBatch batch) throws IOException {
        int rows = batch.rows();
        List<FieldVector> vectors = root.getFieldVectors();
        for (int c = 0; c < vectors.size(); c++) {
            FieldVector vector = vectors.get(c);
            if (vector instanceof IntVector v) {
                prepare(v, rows);
                v.getDataBuffer().nioBuffer(0, rows * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer()
                        .put(batch.ints(c), 0, rows);
                v.setValueCount(rows);
            } else if (vector instanceof BigIntVector v) {
                prepare(v, rows);
                v.getDataBuffer().nioBuffer(0, rows * 8).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
                        .put(batch.longs(c), 0, rows);
                v.setValueCount(rows);
            } else {
                VarCharVector v = (VarCharVector) vector;
                v.reset();
                String[] values = batch.strings(c);
                for (int i = 0; i < rows; i++) v.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
                v.setValueCount(rows);
            }
        }
        root.setRowCount(rows);
        writer.writeBatch();
    }

    /** Room for {@code rows} values, all of them valid (the columns are never null). */
    private static void prepare(BaseFixedWidthVector vector, int rows) {
        if (vector.getValueCapacity() < rows) {
            vector.clear();
            vector.setInitialCapacity(rows);
            vector.allocateNew();
        }
        vector.getValidityBuffer().setOne(0L, (rows + 7) / 8L);
    }

    @Override
    public void finish() throws IOException {
        writer.end();
    }

    @Override
    public void close() {
        writer.close();
        root.close();
        allocator.close();
    }
}
