package dev.tracedb.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;

/** Reads exported Arrow files back with Arrow's own reader, the independent check the export tests make. */
final class ArrowColumns {
    private ArrowColumns() {}

    /** Columns of an Arrow file, read with Arrow's own reader, each as a list over all record batches. */
    static Map<String, List<Object>> read(Path file, Map<String, String> metadata) throws IOException {
        Map<String, List<Object>> columns = new HashMap<>();
        try (RootAllocator allocator = new RootAllocator();
             FileChannel channel = FileChannel.open(file);
             ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            metadata.putAll(root.getSchema().getCustomMetadata());
            for (ArrowBlock block : reader.getRecordBlocks()) {
                reader.loadRecordBatch(block);
                for (var vector : root.getFieldVectors()) {
                    List<Object> values = columns.computeIfAbsent(vector.getName(), k -> new ArrayList<>());
                    for (int i = 0; i < root.getRowCount(); i++) {
                        if (vector instanceof IntVector v) values.add(v.get(i));
                        else if (vector instanceof BigIntVector v) values.add(v.get(i));
                        else values.add(new String(((VarCharVector) vector).get(i), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return columns;
    }
}
