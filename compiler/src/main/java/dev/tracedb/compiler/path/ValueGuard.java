package dev.tracedb.compiler.path;

/**
 * A value a trace's path may assume after one of its loads: instruction {@code instruction} of
 * block {@code block} loads a register from memory, and in (nearly) every recorded pass through
 * that position the register held {@code value} after it. Code generation turns the load into a
 * compare of the memory with the value (a mismatch side-exits after the original load) and folds
 * what the path computes from it (see {@code codegen.ValueFolder}).
 *
 * @param block       index of the block in the trace's path
 * @param instruction index of the load among that block's instructions
 * @param value       the destination register's full 64-bit value after the load
 */
public record ValueGuard(int block, int instruction, long value) {
    public ValueGuard {
        if (block < 0 || instruction < 0) {
            throw new IllegalArgumentException("negative position: block " + block + ", instruction " + instruction);
        }
    }
}
