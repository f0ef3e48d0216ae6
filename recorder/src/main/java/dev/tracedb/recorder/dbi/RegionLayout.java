package dev.tracedb.recorder.dbi;

/**
 * Where each part of the shared region lies, as offsets from its start. One file, one mapping:
 * <pre>
 *   0x0000            control page: spill slots, ring cursor, indirect-branch target slot,
 *                     futex-handshake mailbox and the miss routine's private stack
 *   0x1000            indirect-branch table: {@link #IBL_ENTRIES} entries of 16 bytes
 *   ringOffset        the event ring: 4-byte block ids, in two halves (see {@link Ring})
 *   midGuardOffset    a guard page between the halves, PROT_NONE in the tracee: "half full" faults
 *   ringEnd           one guard page, PROT_NONE in the tracee: "ring full" becomes a SIGSEGV
 *   probeOffset       with value probes only: sample records, then a PROT_NONE guard page
 *   codeOffset        the code cache: translated blocks and exit stubs
 * </pre>
 * Each spill slot has one user, so no sequence can clobber another's saved value. Slots that
 * translated code writes on every block (cursor, prologue spill) sit on their own cache line.
 * Immutable.
 */
public record RegionLayout(int ringBytes, int codeBytes, int probeBytes) {
    public static final int PAGE = 4096;

    /** Prologue: the scratch register (rax) while the ring cursor is in it. */
    public static final int SPILL_PROLOGUE = 0x00;
    /** The ring cursor: tracee address of the next free 4-byte slot. */
    public static final int RING_CURSOR = 0x08;
    /** Indirect branches: rax, rcx, rdx saved while the target is looked up. */
    public static final int SPILL_IBL_RAX = 0x40;
    public static final int SPILL_IBL_RCX = 0x48;
    public static final int SPILL_IBL_RDX = 0x50;
    /** Indirect branches: the cache address found, jumped to through memory. */
    public static final int IBL_JUMP_SLOT = 0x58;
    /** Indirect branches, futex handshake: the app target of a lookup miss. */
    public static final int IBL_MISS_TARGET = 0x60;
    /**
     * A byte set by a block translated ahead of its first run, until that run is seen: while it is
     * 0, the ring holds no provisional ids and a drain need not look for them.
     */
    public static final int PREFETCHED_RAN = 0x68;
    /** Value probes: the two scratch registers of a probe sequence. */
    public static final int SPILL_PROBE_1 = 0x70;
    public static final int SPILL_PROBE_2 = 0x78;
    /** Value probes: tracee address of the next free 16-byte sample record, on its own cache line. */
    public static final int PROBE_CURSOR = 0x140;
    /** Bytes of one sample record: value (8), site (4), ring cursor's low 32 bits (4). */
    public static final int PROBE_RECORD_BYTES = 16;

    /**
     * Futex handshake ({@link MissHandshake#FUTEX}), each on its own cache line where both sides
     * poll it: the tracee's request state (a futex word: {@link #MISS_IDLE}, {@link #MISS_REQUEST},
     * {@link #MISS_DONE}), and the doorbell that Java sleeps on (a counter; the tracee and the
     * stop watcher increment it).
     */
    public static final int MISS_STATE = 0x80;
    public static final int MISS_DOORBELL = 0xc0;
    /** The region offset of the stub asking (8 bytes, the stub's imm32 sign-extended). */
    public static final int MISS_STUB = 0x100;
    /** Where the tracee goes on when Java has answered. */
    public static final int MISS_RESUME = 0x108;
    /** The app's rsp while the miss routine runs on its private stack. */
    public static final int MISS_SAVED_RSP = 0x110;
    /** The top of the miss routine's private stack (it grows down towards the slots). */
    public static final int MISS_STACK_TOP = PAGE;
    public static final int MISS_IDLE = 0;
    public static final int MISS_REQUEST = 1;
    public static final int MISS_DONE = 2;

    public static final int IBL_OFFSET = PAGE;
    /** 2^16 entries indexed by the low 16 bits of the target (movzx: no flags touched). */
    public static final int IBL_ENTRIES = 1 << 16;
    public static final int IBL_ENTRY_BYTES = 16;

    /** A ring of ~4 M events (16 MiB) and 32 MiB of code. */
    public static final RegionLayout DEFAULT = new RegionLayout(16 << 20, 32 << 20);

    /** A layout without a probe buffer. */
    public RegionLayout(int ringBytes, int codeBytes) {
        this(ringBytes, codeBytes, 0);
    }

    /** The same layout with a value-probe buffer of {@code bytes} (a multiple of a page) before the code. */
    public RegionLayout withProbeBuffer(int bytes) {
        return new RegionLayout(ringBytes, codeBytes, bytes);
    }

    public RegionLayout {
        if (probeBytes < 0 || probeBytes % PAGE != 0) {
            throw new IllegalArgumentException("probe buffer size must be a multiple of a page: " + probeBytes);
        }
        if (ringBytes < 3 * PAGE || ringBytes % PAGE != 0) {
            throw new IllegalArgumentException("ring size must be a multiple of a page, at least 3 (two halves and"
                    + " the guard page between them): " + ringBytes);
        }
        if (codeBytes <= 0 || codeBytes % PAGE != 0) {
            throw new IllegalArgumentException("code size must be a positive multiple of a page: " + codeBytes);
        }
    }

    public int ringOffset() {
        return IBL_OFFSET + IBL_ENTRIES * IBL_ENTRY_BYTES;
    }

    public int ringEnd() {
        return ringOffset() + ringBytes;
    }

    /**
     * The guard page between the ring's two halves: the first half is {@code [ringOffset,
     * midGuardOffset)}, the second {@code [midGuardOffset + PAGE, ringEnd)}.
     */
    public int midGuardOffset() {
        return ringOffset() + ringBytes / 2 / PAGE * PAGE;
    }

    public int guardOffset() {
        return ringEnd();
    }

    /** The value-probe buffer (when {@link #probeBytes} is not 0): sample records, then a PROT_NONE guard page. */
    public int probeOffset() {
        return guardOffset() + PAGE;
    }

    public int probeGuardOffset() {
        return probeOffset() + probeBytes;
    }

    public int codeOffset() {
        return probeBytes == 0 ? guardOffset() + PAGE : probeGuardOffset() + PAGE;
    }

    public int totalBytes() {
        return codeOffset() + codeBytes;
    }
}
