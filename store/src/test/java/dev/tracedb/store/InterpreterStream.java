package dev.tracedb.store;

/**
 * A deterministic block-id stream shaped like an interpreter: a dispatch loop of ~20 blocks
 * repeated, where about one iteration in 16 takes a different handler path. Same seed, same stream,
 * so a test can regenerate what it wrote instead of keeping it in memory.
 */
public final class InterpreterStream {
    private final int blocks;
    private final int[] loop = new int[20];
    private long state;
    private int pos;
    private boolean variant;

    /** Ids stay in {@code [0, blocks)}; {@code blocks} must be at least 64. */
    public InterpreterStream(long seed, int blocks) {
        this.blocks = blocks;
        this.state = seed;
        for (int i = 0; i < loop.length; i++) loop[i] = (int) (nextRandom() % (blocks / 2));
    }

    private long nextRandom() {
        state = state * 6364136223846793005L + 1442695040888963407L;
        return (state >>> 33);
    }

    public int next() {
        if (pos == 0) variant = (nextRandom() & 15) == 0;
        int id = loop[pos];
        if (variant && pos >= 8 && pos < 12) id = blocks / 2 + (int) (nextRandom() % (blocks / 2));
        pos = (pos + 1) % loop.length;
        return id;
    }

    public void fill(int[] out, int off, int len) {
        for (int i = off; i < off + len; i++) out[i] = next();
    }
}
