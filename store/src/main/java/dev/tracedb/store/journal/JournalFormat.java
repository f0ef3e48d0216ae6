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
     * The longest frame a reader believes. The largest real frames are RUN_STARTED (argv and
     * environment, bounded by the kernel's 2 MiB-ish ARG_MAX) and 64 KiB MEMORY_WRITTEN chunks; a
     * longer length is a damaged length field, not a frame the recorder was killed writing.
     */
    public static final int MAX_FRAME = 64 << 20;
    /** The longest run name a header may carry (a name is a file name or a {@code --name}). */
    public static final int MAX_NAME = 1 << 16;

    private JournalFormat() {
    }
}
