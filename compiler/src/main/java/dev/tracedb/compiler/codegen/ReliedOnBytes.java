package dev.tracedb.compiler.codegen;

import dev.tracedb.compiler.cache.CachedModule.ByteRange;
import dev.tracedb.compiler.cache.ReliedOnHash;
import dev.tracedb.compiler.path.PathBlock;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The module bytes a module's traces rely on: every block copied into a trace (which includes
 * each head's patched bytes, since a patch covers only whole instructions of the head block),
 * merged into sorted, non-overlapping ranges, and their {@link ReliedOnHash}. Bytes come from
 * the log's block definitions, so the hash is of what was recorded, not of a file on disk.
 */
final class ReliedOnBytes {
    private final List<ByteRange> ranges;
    private final long hash;

    private ReliedOnBytes(List<ByteRange> ranges, long hash) {
        this.ranges = List.copyOf(ranges);
        this.hash = hash;
    }

    static ReliedOnBytes of(List<PathBlock> blocks) {
        List<PathBlock> sorted = new ArrayList<>(blocks);
        sorted.sort(Comparator.comparingLong(b -> b.at().offset()));
        List<ByteRange> ranges = new ArrayList<>();
        ReliedOnHash hash = new ReliedOnHash();
        ByteArrayOutputStream run = new ByteArrayOutputStream();
        long runStart = -1;
        for (PathBlock block : sorted) {
            long offset = block.at().offset();
            byte[] bytes = block.bytes();
            long runEnd = runStart + run.size();
            if (runStart >= 0 && offset <= runEnd) {
                // Overlapping or adjacent: append only the part past the run's end. Overlapping
                // blocks of one module hold the same bytes where they overlap.
                int skip = (int) (runEnd - offset);
                if (skip < bytes.length) {
                    run.write(bytes, skip, bytes.length - skip);
                }
                continue;
            }
            flush(ranges, hash, runStart, run);
            runStart = offset;
            run.write(bytes, 0, bytes.length);
        }
        flush(ranges, hash, runStart, run);
        return new ReliedOnBytes(ranges, hash.value());
    }

    private static void flush(List<ByteRange> ranges, ReliedOnHash hash, long start, ByteArrayOutputStream run) {
        if (start >= 0 && run.size() > 0) {
            ranges.add(new ByteRange(start, run.size()));
            hash.update(run.toByteArray());
        }
        run.reset();
    }

    List<ByteRange> ranges() {
        return ranges;
    }

    long hash() {
        return hash;
    }
}
