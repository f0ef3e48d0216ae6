package dev.tracedb.machine.elf;

/** {@code p_type} values we name, with readelf's spelling; anything else is {@link #OTHER}. */
public enum SegmentType {
    NULL(0), LOAD(1), DYNAMIC(2), INTERP(3), NOTE(4), SHLIB(5), PHDR(6), TLS(7),
    GNU_EH_FRAME(0x6474e550), GNU_STACK(0x6474e551), GNU_RELRO(0x6474e552), GNU_PROPERTY(0x6474e553),
    OTHER(-1);

    private final int value;

    SegmentType(int value) {
        this.value = value;
    }

    /** The {@code p_type} value; -1 for {@link #OTHER}. */
    public int value() {
        return value;
    }

    static SegmentType of(int value) {
        for (SegmentType type : values()) {
            if (type.value == value) {
                return type;
            }
        }
        return OTHER;
    }
}
