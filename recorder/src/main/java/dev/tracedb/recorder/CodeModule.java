package dev.tracedb.recorder;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A module the recorded program executed code from, as written to the log with
 * {@link dev.tracedb.store.ModuleMapped}. Blocks are defined relative to it ({@link #offsetOf}),
 * so that the same code is recognised across runs whatever address ASLR chose.
 *
 * @param id   the {@code moduleId} in the log
 * @param path the mapped file, or {@code [vdso]}
 * @param base where the file's offset 0 is mapped (the vDSO: its first page)
 * @param size from {@code base} to the end of its highest mapping
 */
public record CodeModule(int id, String path, long base, long size) {
    public CodeModule {
        Objects.requireNonNull(path, "path");
    }

    /** The offset of {@code address} from {@link #base}. */
    public long offsetOf(long address) {
        return address - base;
    }

    /** {@code path}'s file name, e.g. {@code libc.so.6}. */
    public String fileName() {
        Path name = Path.of(path).getFileName();
        return name == null ? path : name.toString();
    }

    @Override
    public String toString() {
        return fileName() + "@0x" + Long.toHexString(base);
    }
}
