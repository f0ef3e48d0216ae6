package dev.tracedb.store.journal;

import java.nio.charset.StandardCharsets;

/** The constants of the inputs-journal format, version 1 ({@code docs/formats/inputs-journal.md}). */
public final class JournalFormat {
    /** The journal's name inside its run directory. */
    public static final String FILE_NAME = "inputs.journal";
    /** What a journal that cannot be imported whole is renamed to, so it is kept and not retried. */
    public static final String CORRUPT_FILE_NAME = FILE_NAME + ".corrupt";
    /** The first 8 bytes of every journal. */
    public static final byte[] MAGIC = "TDBJRNL1".getBytes(StandardCharsets.US_ASCII);
    /** The one version this build reads and writes. */
    public static final int VERSION = 1;
    /**
     * The longest first frame a reader believes: RUN_STARTED, whose argv and environment the kernel
     * bounds (ARG_MAX, a few MiB). A longer length is a damaged length field, not a frame the
     * recorder was killed writing.
     */
    public static final int MAX_FRAME = 64 << 20;
    /**
     * The longest later frame a reader believes: they are at most a 64 KiB MEMORY_WRITTEN chunk or a
     * FILE_MAPPED with a path, so a length above 1 MiB is damage. Kept tight because a damaged length
     * that points past the end of the file would otherwise read as a cut tail and hide what follows.
     */
    public static final int MAX_INPUT_FRAME = 1 << 20;
    /** The longest run name a header may carry (a name is a file name or a {@code --name}). */
    public static final int MAX_NAME = 1 << 16;

    private JournalFormat() {
    }
}
