package dev.tracedb.compiler.values;

/**
 * When a load's recorded values make a guard: its most frequent value was seen in at least
 * {@code minShare} of the trace's passes through the load, over at least {@code minPasses} passes.
 *
 * <p>Why 95 %: a guard that holds saves the decode it folds, a handful of cheap instructions (2–4
 * cycles); one that fails leaves the trace there, and the rest of that pass runs in the original
 * code (a taken exit and a lost pass, some tens of cycles). Guards pay while their failure rate
 * stays below roughly saving / exit cost, about 5–10 %; 95 % keeps to the safe side of that. In a
 * Lua user loop each dispatch position of the loop trace sees one bytecode word per pass, so those
 * guards are at or near 100 % and the rule only weeds out positions that several bytecodes share.
 * Too few passes say nothing about the next run, hence {@code minPasses}.
 */
public record ValueRule(double minShare, long minPasses) {
    public static final ValueRule DEFAULT = new ValueRule(0.95, 100);

    public ValueRule {
        if (!(minShare > 0.5 && minShare <= 1.0)) {
            throw new IllegalArgumentException("a guard's value must be the majority: minShare " + minShare);
        }
        if (minPasses < 1) throw new IllegalArgumentException("minPasses < 1: " + minPasses);
    }

    /** Whether {@code count} passes of {@code passes} seeing one value make a guard. */
    public boolean guards(long count, long passes) {
        return passes >= minPasses && count >= Math.ceil(minShare * passes);
    }
}
