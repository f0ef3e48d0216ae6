package dev.tracedb.compiler.values;

import java.util.ArrayList;
import java.util.List;

/**
 * Which values a load's samples make guards of: the {@link ValueRule}'s single dominant value
 * where there is one; else, where a few values share the position, up to {@code maxValues} of them
 * (a polymorphic guard: a compare per value, each going on into a copy of the rest of the trace
 * folded with it; see {@code codegen.ValueGuards}).
 *
 * <p>The polymorphic choice counts only the passes that completed the trace (reached its
 * continuation, or a loop's next iteration: {@code completed}): a value seen in passes that all
 * leave the trace at a dispatch after the load (another opcode than the path's: at the first dispatch of lua5.4's {@code OP_CALL}
 * continuation several opcodes follow, and the trace follows one) would only get a copy that
 * always leaves. The most frequent values of those passes are taken while each was seen in at
 * least {@code minShareEach} of them, until they cover the rule's share ({@code 95 %}) of them,
 * over at least the rule's passes; fewer than two values so found make no guard (a single value
 * that holds only in completed passes fails in the others, which the single rule already weighs).
 * Why a chain pays where one guard would not: in {@code lua-recursion} fib's two recursive calls
 * run the same short traces with two instruction words at each of four positions (49/49 %, 62/38 %,
 * 60/37 %), and a second compare costs one cycle where a failed guard costs a side exit.
 */
public record PolymorphicRule(ValueRule single, int maxValues, double minShareEach) {
    /** Up to three values, each in at least 5 % of the completed passes. */
    public static final PolymorphicRule DEFAULT = new PolymorphicRule(ValueRule.DEFAULT, 3, 0.05);
    /** The single-value rule alone (before polymorphic guards). */
    public static final PolymorphicRule SINGLE = new PolymorphicRule(ValueRule.DEFAULT, 1, 0.05);

    public PolymorphicRule {
        if (maxValues < 1) throw new IllegalArgumentException("maxValues < 1: " + maxValues);
        if (!(minShareEach > 0 && minShareEach < 1)) throw new IllegalArgumentException("minShareEach " + minShareEach);
    }

    /** The values to guard, most frequent first; empty: no guard. */
    List<Long> values(ValueCounts all, ValueCounts completed) {
        long top = all.top();
        if (single.guards(all.countOf(top), all.passes())) return List.of(top);
        if (maxValues < 2 || completed.passes() < single.minPasses()) return List.of();
        long covered = 0;
        long needed = (long) Math.ceil(single.minShare() * completed.passes());
        List<Long> values = new ArrayList<>();
        for (SiteValues.Share s : completed.leaders(maxValues)) {
            if (s.count() < minShareEach * completed.passes()) break;
            values.add(s.value());
            covered += s.count();
            if (covered >= needed) break;
        }
        return covered >= needed && values.size() >= 2 ? values : List.of();
    }
}
