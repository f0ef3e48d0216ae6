package dev.tracedb.store;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A file-backed executable mapping (the main program, a shared library, the vDSO) appeared in the
 * address space. Blocks refer to it by {@code moduleId}, so the same code is recognised across runs
 * whatever address ASLR chose.
 *
 * @param moduleId    dense id assigned by the recorder, unique within the run
 * @param path        the mapped file ({@code [vdso]} for the vDSO)
 * @param base        load address of the mapping in the recorded process
 * @param size        size of the mapping in bytes
 * @param buildId     the ELF build-id note, empty if the file has none
 * @param contentHash a hash of the mapped bytes (the recorder chooses the algorithm; SHA-256 today)
 */
public record ModuleMapped(int moduleId, String path, long base, long size, byte[] buildId, byte[] contentHash) {
    public ModuleMapped {
        if (moduleId < 0) throw new IllegalArgumentException("moduleId < 0: " + moduleId);
        Objects.requireNonNull(path, "path");
        buildId = buildId.clone();
        contentHash = contentHash.clone();
    }

    @Override
    public byte[] buildId() {
        return buildId.clone();
    }

    @Override
    public byte[] contentHash() {
        return contentHash.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModuleMapped m && moduleId == m.moduleId && path.equals(m.path) && base == m.base
                && size == m.size && Arrays.equals(buildId, m.buildId) && Arrays.equals(contentHash, m.contentHash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(moduleId, path, base, size, Arrays.hashCode(buildId), Arrays.hashCode(contentHash));
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return "ModuleMapped[" + moduleId + " " + path + " base=0x" + Long.toHexString(base) + " size=" + size
                + " buildId=" + hex.formatHex(buildId) + " hash=" + hex.formatHex(contentHash) + "]";
    }
}
