package dev.tracedb.compiler.path;

import java.util.List;
import java.util.Objects;

/**
 * A trace chosen for compilation: one <em>recorded</em> path from its head, in execution order.
 *
 * <p>{@code blocks.get(0)} is the head, where the loader patches a jump into the trace. The exit
 * of block {@code i} went to block {@code i + 1} on the recorded path; code generation keeps that
 * outcome inside the trace and turns every other outcome into a side exit to the original code.
 * After the last block the recorded path continues at {@code continuation}: when that is the head,
 * the trace is a loop and jumps back to its own start; otherwise the trace ends with a jump to the
 * original code there (a side exit that is taken every time the trace completes).
 *
 * <p>All blocks of a trace lie in one module (the head's): a path that leaves the module ends the
 * trace, so every address a trace refers to is relative to one module base.
 *
 * @param traceId          dense id within its {@link TraceSelection}, 0, 1, 2, …
 * @param blocks           the path, head first, at least one block
 * @param continuation     where the recorded path went after the last block
 * @param expectedEntries  how often the recorded runs entered the head (selection's estimate)
 * @param valueGuards      loads whose recorded value the trace may guard and fold (empty: none)
 */
public record TracePath(int traceId, List<PathBlock> blocks, CodeAddress continuation, long expectedEntries,
                        List<ValueGuard> valueGuards) {
    public TracePath {
        blocks = List.copyOf(blocks);
        valueGuards = List.copyOf(valueGuards);
        for (ValueGuard g : valueGuards) {
            if (g.block() >= blocks.size() || g.instruction() >= blocks.get(g.block()).instructionCount()) {
                throw new IllegalArgumentException("trace " + traceId + " has no instruction at " + g);
            }
        }
        Objects.requireNonNull(continuation, "continuation");
        if (blocks.isEmpty()) throw new IllegalArgumentException("a trace has at least one block");
        int module = blocks.get(0).at().moduleIndex();
        for (PathBlock b : blocks) {
            if (b.at().moduleIndex() != module) {
                throw new IllegalArgumentException("trace " + traceId + " leaves its module at " + b.at());
            }
        }
    }

    /** A path with no value guards. */
    public TracePath(int traceId, List<PathBlock> blocks, CodeAddress continuation, long expectedEntries) {
        this(traceId, blocks, continuation, expectedEntries, List.of());
    }

    /** The same path with {@code guards} as its value guards. */
    public TracePath withValueGuards(List<ValueGuard> guards) {
        return new TracePath(traceId, blocks, continuation, expectedEntries, guards);
    }

    public PathBlock head() {
        return blocks.get(0);
    }

    /** True when the path returns to its own head: the trace is a loop. */
    public boolean loopsToHead() {
        return continuation.equals(head().at());
    }

    public int instructionCount() {
        return blocks.stream().mapToInt(PathBlock::instructionCount).sum();
    }
}
