package dev.tracedb.compiler.cache;

/**
 * The hash that ties a cache to the exact bytes its traces were compiled from: 64-bit FNV-1a
 * over the relied-on ranges' bytes, concatenated in range order. Chosen because the loader's
 * native shim computes it in a few lines of C; it detects a changed byte, it is not a defence
 * against someone forging a binary.
 */
public final class ReliedOnHash {
    private static final long OFFSET_BASIS = 0xcbf29ce484222325L;
    private static final long PRIME = 0x100000001b3L;

    private long hash = OFFSET_BASIS;

    public ReliedOnHash update(byte[] bytes) {
        for (byte b : bytes) {
            hash = (hash ^ (b & 0xff)) * PRIME;
        }
        return this;
    }

    public long value() {
        return hash;
    }
}
