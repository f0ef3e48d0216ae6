package dev.tracedb.compiler.forecast;

/**
 * A trace as the simulator sees it: its path as global block ids of a
 * {@link dev.tracedb.compiler.mining.BlockCatalog}, and the address where the path continues after
 * its last block (a loop trace continues at its own head).
 */
public record SimulatedTrace(int[] blocks, int continuationModule, long continuationOffset) {
    public SimulatedTrace {
        if (blocks.length == 0) throw new IllegalArgumentException("a trace has at least one block");
        blocks = blocks.clone();
    }

    public int head() {
        return blocks[0];
    }
}
