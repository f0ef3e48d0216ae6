package dev.tracedb.store.format;

/**
 * How the block ids of one execution batch are encoded. Each batch names its encoding, so readers
 * read every encoding and writers may change their default without a format version bump. The
 * default was chosen by measurement (see {@code docs/formats/run-log.md}).
 */
public enum BatchEncoding {
    /** 4 bytes per id, little-endian. The baseline. */
    RAW_INT32(0),
    /** Each id as the zigzag-encoded difference from the previous id in the batch, as a LEB128 varint. */
    ZIGZAG_VARINT(1),
    /** {@link #RAW_INT32} compressed with LZ4 (block format). */
    LZ4_INT32(2),
    /** {@link #ZIGZAG_VARINT} compressed with LZ4 (block format). */
    LZ4_ZIGZAG_VARINT(3);

    /** What writers use unless told otherwise. */
    public static final BatchEncoding DEFAULT = LZ4_INT32;

    private final int code;

    BatchEncoding(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The encoding with this code, or {@code null} if unknown. */
    public static BatchEncoding ofCode(int code) {
        for (BatchEncoding e : values()) {
            if (e.code == code) return e;
        }
        return null;
    }

    boolean lz4() {
        return this == LZ4_INT32 || this == LZ4_ZIGZAG_VARINT;
    }

    boolean varint() {
        return this == ZIGZAG_VARINT || this == LZ4_ZIGZAG_VARINT;
    }
}
